"""Every UI string wrapped in _() has an English translation."""
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PATTERN = re.compile(r"""(?<![\w.])_\(\s*(?:"([^"]+)"|'([^']+)')""")


def _strings() -> set[str]:
    found = set()
    for path in list((ROOT / "templates").rglob("*.html")) + list((ROOT / "gis_tracker").rglob("*.py")):
        for m in PATTERN.finditer(path.read_text(encoding="utf-8")):
            found.add(m.group(1) or m.group(2))
    return found


def test_every_ui_string_has_english():
    catalogue = json.loads((ROOT / "gis_tracker/translations/en.json").read_text(encoding="utf-8"))
    missing = sorted(s for s in _strings() if s not in catalogue)
    assert missing == [], missing

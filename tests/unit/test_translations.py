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


CJK = re.compile(r"[\u4e00-\u9fff]")
MESSAGE_CALLS = {"AppError", "BadParameter", "NotFound", "Unauthorized", "Forbidden", "Conflict",
                 "PreconditionFailed", "PreconditionRequired", "Unprocessable", "DatabaseUnavailable",
                 "BackupFailed", "OutboundRefused", "FontMissing", "TooManyAttempts", "CrsProblem",
                 "GeometryProblem", "ExportProblem", "ParseProblem", "LayerSpecProblem", "TransitionRefused",
                 "_problem", "_refuse", "_", "gettext"}


def _messages():
    """Yield (place, sample) for every Chinese message given to an error or to _(): values filled with 'x'."""
    import ast

    for path in (ROOT / "gis_tracker").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in MESSAGE_CALLS:
                continue
            for arg in node.args[:2]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    text = arg.value
                elif isinstance(arg, ast.JoinedStr):
                    text = "".join(v.value if isinstance(v, ast.Constant) else "x" for v in arg.values)
                else:
                    continue
                if CJK.search(text) and not (name in ("_", "gettext") and node.keywords):
                    yield f"{path.relative_to(ROOT)}:{node.lineno}", text


def test_every_message_is_chinese_only_with_its_english_in_the_catalogue():
    """Messages are written once, in Chinese; a user who reads English gets the catalogue's English."""
    from gis_tracker.i18n import translate

    catalogue = json.loads((ROOT / "gis_tracker/translations/en.json").read_text(encoding="utf-8"))
    bilingual = [place for place, text in _messages() if re.search(r" / [A-Za-z]", text)]
    assert bilingual == [], f"inline English (put it in translations/en.json): {bilingual}"
    untranslated = sorted({f"{place}: {text}" for place, text in _messages()
                           if text not in catalogue and CJK.search(translate(text, "en"))})
    assert untranslated == [], "\n".join(untranslated)

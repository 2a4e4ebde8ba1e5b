"""Check that a message a user sees is Chinese and has its English in the catalogue."""
from __future__ import annotations

import re

from gis_tracker.i18n import translate

CJK = re.compile(r"[\u4e00-\u9fff]")


def english(message: str) -> str:
    """Return the English of the Chinese ``message``; fail when it is not Chinese or has no English."""
    assert CJK.search(message), f"not a Chinese message: {message!r}"
    translated = translate(message, "en")
    assert not CJK.search(translated), f"no English in translations/en.json for {message!r}: {translated!r}"
    return translated

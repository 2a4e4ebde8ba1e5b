"""Translations: Chinese (zh-CN) is the source language, English the second.

Templates and code write the Chinese text and wrap it in ``_()``; the English
catalogue ``translations/en.json`` maps each Chinese string to English.  The
language is chosen by ``?lang=zh|en`` (remembered in the session) and falls
back to ``DEFAULT_LANGUAGE``.
"""
from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path

from flask import Flask, current_app, g, has_request_context, request, session

LOGGER = logging.getLogger(__name__)
LANGUAGES = ("zh", "en")
_DIR = Path(__file__).parent / "translations"


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    """Return the translations from Chinese into ``lang``."""
    path = _DIR / f"{lang}.json"
    if lang == "zh" or not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def current_language() -> str:
    """Return the language of the current request ('zh' or 'en')."""
    if has_request_context() and "lang" in g:
        return g.lang
    return current_app.config.get("DEFAULT_LANGUAGE", "zh") if current_app else "zh"


def gettext(text: str, **values) -> str:
    """Translate ``text`` (written in Chinese) into the current language."""
    translated = catalogue(current_language()).get(text, text)
    return translated.format(**values) if values else translated


_ = gettext


def pick(zh: str, en: str) -> str:
    """Return ``zh`` or ``en`` for the current language (for paired labels)."""
    return en if current_language() == "en" else zh


def _choose_language() -> None:
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
    g.lang = session.get("lang") or current_app.config.get("DEFAULT_LANGUAGE", "zh")


def init_app(app: Flask) -> None:
    """Pick the language per request and expose ``_``/``pick`` to templates."""
    app.before_request(_choose_language)
    app.jinja_env.globals.update(_=gettext, pick=pick, current_language=current_language)

"""Translations: Chinese (zh-CN) is the source language, English the second.

Templates and code write the Chinese text and wrap it in ``_()``; the English
catalogue ``translations/en.json`` maps each Chinese string to English.  The
language is chosen by ``?lang=zh|en`` (remembered in the session) and falls
back to ``DEFAULT_LANGUAGE``.

Messages are written in Chinese only, with their values filled in (e.g. an
error ``f"图层 {name} 不存在"``).  The catalogue holds them as templates with
``{}`` where a value goes (``"图层 {} 不存在": "no such layer: {0}"``);
:func:`translate` recognises a filled-in message by its template, translates
each value that is itself in the catalogue (a stage name, say), and fills the
English template.  So pure code (``spatial/``, ``rules/``, importers in their
isolated process) needs no request and no translation call: errors are
translated when they are answered (``errors.AppError.message``).
"""
from __future__ import annotations

import json
import logging
import re
from functools import cache
from pathlib import Path

from flask import Flask, current_app, g, has_request_context, request, session

LOGGER = logging.getLogger(__name__)
LANGUAGES = ("zh", "en")
_DIR = Path(__file__).parent / "translations"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Return the translations from Chinese into ``lang``."""
    path = _DIR / f"{lang}.json"
    if lang == "zh" or not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(\w*)\}")


def _pattern(template: str) -> re.Pattern | None:
    """Return a regex matching ``template`` with its placeholders filled in (None: it has none)."""
    parts, pos, groups = [], 0, 0
    for m in PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[pos:m.start()]))
        if m.group(0) in ("{{", "}}"):
            parts.append(re.escape(m.group(0)[0]))
        else:
            name = m.group(1)
            parts.append("(.+?)" if not name or name.isdigit() else f"(?P<{name}>.+?)")
            groups += 1
        pos = m.end()
    parts.append(re.escape(template[pos:]))
    return re.compile("".join(parts), re.S) if groups else None


@cache
def _patterns(lang: str) -> tuple[tuple[re.Pattern, str], ...]:
    """Return (pattern, translation) for every catalogue entry with placeholders, longest template first."""
    found = []
    for source, target in catalogue(lang).items():
        pattern = _pattern(source)
        if pattern is not None:
            found.append((len(source), pattern, target))
    return tuple((p, target) for _, p, target in sorted(found, key=lambda f: -f[0]))


def translate(text: str, lang: str | None = None) -> str:
    """Translate a Chinese message, also one with its values filled in, into ``lang`` (default: the request's)."""
    lang = lang or current_language()
    if lang == "zh" or not text:
        return text
    table = catalogue(lang)
    if text in table:
        return table[text]
    for pattern, target in _patterns(lang):
        m = pattern.fullmatch(text)
        if m:
            named = m.groupdict()
            if named:
                return target.format(**{k: translate(v, lang) for k, v in named.items()})
            return target.format(*(translate(v, lang) for v in m.groups()))
    return text


def current_language() -> str:
    """Return the language of the current request ('zh' or 'en')."""
    if has_request_context() and "lang" in g:
        return g.lang
    return current_app.config.get("DEFAULT_LANGUAGE", "zh") if current_app else "zh"


def gettext(text: str, **values) -> str:
    """Translate ``text`` (written in Chinese, values filled in or given as ``values``) into the current language."""
    if values:
        translated = catalogue(current_language()).get(text, text)
        return translated.format(**values)
    return translate(text)


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

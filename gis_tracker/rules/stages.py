"""Relocation stages and paths of the Qingshuitang enterprises, with their labels."""
from __future__ import annotations

STAGES: list[tuple[str, str, str]] = [
    ("not_started", "未启动", "Not started"),
    ("assessment", "摸底评估", "Assessment"),
    ("agreement_signed", "协议签订", "Agreement signed"),
    ("production_halted", "停产", "Production halted"),
    ("demolished", "设备拆除", "Equipment removed"),
    ("remediation", "场地调查与修复", "Site investigation & remediation"),
    ("accepted", "验收销号", "Accepted & closed"),
]
"""Ordered stages: (API code, Chinese label, English label)."""

STAGE_CODES = [code for code, _, _ in STAGES]
STAGE_LABELS = {code: zh for code, zh, _ in STAGES}
STAGE_LABELS_EN = {code: en for code, _, en in STAGES}

PATHS: list[tuple[str, str, str]] = [
    ("relocate", "整体搬迁", "Relocate"),
    ("close", "关停", "Close"),
    ("transform", "就地转型", "Transform in place"),
]
PATH_LABELS = {code: zh for code, zh, _ in PATHS}
PATH_LABELS_EN = {code: en for code, _, en in PATHS}

STAGE_COLOURS = {
    "not_started": "#d7191c",
    "assessment": "#f07c4a",
    "agreement_signed": "#fdae61",
    "production_halted": "#fee08b",
    "demolished": "#d9ef8b",
    "remediation": "#91cf60",
    "accepted": "#1a9850",
}
"""Map colours from red (not started) to green (accepted)."""


def stage_index(code: str) -> int:
    """Return the position of ``code`` in the stage order (ValueError if unknown)."""
    return STAGE_CODES.index(code)

"""Land-use intensity and idle land, from 《石峰区两型建设攻坚实施方案》 二(四)1(1)–(2).

Investment intensity ≥ 200 / 150 / 100 万元/亩 in a national development zone /
provincial development zone / other industrial area; floor-area ratio ≥ 0.6;
building coverage ≥ 0.35; annual tax ≥ 5 万元/亩.  Land supplied but unused:
idle 1–2 years → a fee of 20 % of the land price; idle ≥ 2 years → reclaimed.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

LOGGER = logging.getLogger(__name__)

INVESTMENT_INTENSITY_MIN = {"national": 200.0, "provincial": 150.0, "other": 100.0}  # 万元/亩
FLOOR_AREA_RATIO_MIN = 0.6
BUILDING_COVERAGE_MIN = 0.35
ANNUAL_TAX_MIN = 5.0  # 万元/亩
IDLE_FEE_SHARE = 0.20
INTENSITY_PROJECT_TYPES = ("industrial",)
BASIS_INTENSITY = "《石峰区两型建设攻坚实施方案》二(四)1(1) 严格节约供地标准"
BASIS_IDLE = "《石峰区两型建设攻坚实施方案》二(四)1(2) 盘活存量建设用地"

PARK_LEVEL_LABELS = {"national": ("国家级开发区", "national development zone"),
                     "provincial": ("省级开发区", "provincial development zone"),
                     "other": ("其他工业集中区", "other industrial area")}


@dataclass(frozen=True)
class Indicator:
    """One indicator against its threshold; ``ok`` is None when it cannot be judged (no data)."""

    code: str
    label: str
    label_en: str
    value: float | None
    threshold: float
    unit: str
    ok: bool | None
    basis: str


@dataclass(frozen=True)
class IdleLand:
    """Idle-land status: ``consequence`` is none, fee (20 % of the land price) or reclaim."""

    idle_years: int | None
    consequence: str
    basis: str = BASIS_IDLE


def full_years(start: date, end: date) -> int:
    """Return the whole years from ``start`` to ``end`` (满 N 年), 0 when ``end`` is earlier."""
    years = end.year - start.year - ((end.month, end.day) < (start.month, start.day))
    return max(0, years)


def idle_land(land_supplied: date | None, construction_started: date | None, as_of: date) -> IdleLand:
    """Return whether land supplied but not built on is idle, and the consequence."""
    if land_supplied is None or construction_started is not None:
        return IdleLand(None, "none")
    years = full_years(land_supplied, as_of)
    if years >= 2:
        return IdleLand(years, "reclaim")
    if years >= 1:
        return IdleLand(years, "fee")
    return IdleLand(years, "none")


def intensity_indicators(project_type: str | None, park_level: str | None, area_mu: float,
                         investment_wan: float | None, floor_area_ratio: float | None,
                         building_coverage: float | None, annual_tax_wan: float | None) -> list[Indicator]:
    """Return the intensity indicators of an industrial project (empty for other types)."""
    if project_type not in INTENSITY_PROJECT_TYPES:
        return []
    level = park_level if park_level in INVESTMENT_INTENSITY_MIN else "other"
    def per_mu(v):
        return v / area_mu if v is not None and area_mu > 0 else None
    intensity = per_mu(investment_wan)
    tax = per_mu(annual_tax_wan)
    inv_min = INVESTMENT_INTENSITY_MIN[level]
    lvl_zh, lvl_en = PARK_LEVEL_LABELS[level]
    return [
        Indicator("investment_intensity", f"投资强度（{lvl_zh}）", f"Investment intensity ({lvl_en})",
                  intensity, inv_min, "万元/亩", _at_least(intensity, inv_min), BASIS_INTENSITY),
        Indicator("floor_area_ratio", "容积率", "Floor-area ratio", floor_area_ratio, FLOOR_AREA_RATIO_MIN,
                  "", _at_least(floor_area_ratio, FLOOR_AREA_RATIO_MIN), BASIS_INTENSITY),
        Indicator("building_coverage", "建筑系数", "Building coverage", building_coverage,
                  BUILDING_COVERAGE_MIN, "", _at_least(building_coverage, BUILDING_COVERAGE_MIN),
                  BASIS_INTENSITY),
        Indicator("annual_tax", "年税收（亩均）", "Annual tax per mu", tax, ANNUAL_TAX_MIN, "万元/亩",
                  _at_least(tax, ANNUAL_TAX_MIN), BASIS_INTENSITY),
    ]


def _at_least(value: float | None, threshold: float) -> bool | None:
    return None if value is None else value >= threshold - 1e-9


def outcome(indicators: list[Indicator], idle: IdleLand) -> str:
    """Return pass, needs_review (an indicator short or idle 1–2 years) or fail (land to be reclaimed)."""
    if idle.consequence == "reclaim":
        return "fail"
    if idle.consequence == "fee" or any(i.ok is False for i in indicators):
        return "needs_review"
    return "pass"

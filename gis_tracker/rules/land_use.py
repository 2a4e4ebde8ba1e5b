"""Land-use intensity and idle land, from 《石峰区两型建设攻坚实施方案》 二(四)1(1)–(2).

Investment intensity ≥ 200 / 150 / 100 万元/亩 in a national development zone /
provincial development zone / other industrial area; floor-area ratio ≥ 0.6;
building coverage ≥ 0.35; annual tax ≥ 5 万元/亩, "否则对其提出转移生产意见，企业因享受
政府优惠政策而少交的有关费用应予以补缴，由政府奖励给企业的有关费用应予以收回".  Land
supplied but unused: idle 1–2 years → a fee of 20 % of the land price (computed when
the price is known); idle ≥ 2 years → the land is reclaimed.

Who is measured: every industrial project, and a logistics project inside an
industrial park (a 园 of the plan's 三园/五园, or one whose park level is
given) — the plan's thresholds are for 入园企业项目.  A measured project without
a park level is a finding (园区级别未填): the investment threshold cannot be chosen,
so it is not silently judged against the loosest one.
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
PARK_PROJECT_TYPES = ("logistics",)
"""Types measured like industrial projects when they lie in an industrial park."""
INDUSTRIAL_PARK_KINDS = ("三园", "五园")
"""Sub-area kinds (zones.kind) of the plan's industrial parks: 清水塘 三园, 田心 五园."""
BASIS_INTENSITY = "《石峰区两型建设攻坚实施方案》二(四)1(1) 严格节约供地标准"
BASIS_IDLE = "《石峰区两型建设攻坚实施方案》二(四)1(2) 盘活存量建设用地"
TAX_CONSEQUENCE = ("工业园区内项目年税收须达到 5 万元/亩以上，否则对其提出转移生产意见，企业因享受政府优惠政策"
                   "而少交的有关费用应予以补缴，由政府奖励给企业的有关费用应予以收回")
TAX_CONSEQUENCE_EN = ("Projects in industrial parks must pay at least 50,000 yuan of tax per mu a year; otherwise "
                      "they are advised to move production, must pay back the fees waived under preferential "
                      "policies, and the awards the government gave are recovered")

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
    threshold: float | None
    unit: str
    ok: bool | None
    basis: str
    consequence: str | None = None  # what the plan says follows when it is not met
    consequence_en: str | None = None


@dataclass(frozen=True)
class Finding:
    """Something the land-use review states that is not a measured indicator (e.g. 园区级别未填)."""

    code: str
    text: str
    text_en: str
    outcome: str  # needs_review | fail
    basis: str = BASIS_INTENSITY


@dataclass(frozen=True)
class IdleLand:
    """Idle-land status: ``consequence`` is none, fee (20 % of the land price) or reclaim."""

    idle_years: int | None
    consequence: str
    basis: str = BASIS_IDLE
    land_price_wan: float | None = None
    fee_wan: float | None = None  # the 闲置费 when the land price is known

    @property
    def text(self) -> str:
        """Return what the review states about idle land (Chinese)."""
        if self.consequence == "reclaim":
            return f"闲置满 2 年（已闲置 {self.idle_years} 年）：按政策收回土地使用权"
        if self.consequence == "fee":
            if self.fee_wan is None:
                return "闲置满 1 年未满 2 年：按土地成交价款的 20% 缴纳土地闲置费（土地成交价款未填，闲置费无法计算）"
            return (f"闲置满 1 年未满 2 年：按土地成交价款 {self.land_price_wan:,.2f} 万元的 20% 缴纳土地闲置费 "
                    f"{self.fee_wan:,.2f} 万元")
        return "未闲置"

    @property
    def text_en(self) -> str:
        """Return what the review states about idle land (English)."""
        if self.consequence == "reclaim":
            return f"Idle for 2 years or more ({self.idle_years}): the land-use right is reclaimed"
        if self.consequence == "fee":
            if self.fee_wan is None:
                return "Idle 1–2 years: idle-land fee of 20 % of the land price (price not entered: fee unknown)"
            return (f"Idle 1–2 years: idle-land fee of 20 % of the land price {self.land_price_wan:,.2f}: "
                    f"{self.fee_wan:,.2f} (10k CNY)")
        return "Not idle"


@dataclass(frozen=True)
class LandUseReview:
    """The land-use part of a review: indicators, findings, idle land and their outcome."""

    indicators: list[Indicator]
    findings: list[Finding]
    idle: IdleLand

    @property
    def outcome(self) -> str:
        """Return pass, needs_review or fail (see :func:`outcome`)."""
        return outcome(self.indicators, self.idle, self.findings)


def full_years(start: date, end: date) -> int:
    """Return the whole years from ``start`` to ``end`` (满 N 年), 0 when ``end`` is earlier."""
    years = end.year - start.year - ((end.month, end.day) < (start.month, start.day))
    return max(0, years)


def idle_land(land_supplied: date | None, construction_started: date | None, as_of: date,
              land_price_wan: float | None = None) -> IdleLand:
    """Return whether land supplied but not built on is idle, the consequence and (fee) the amount."""
    if land_supplied is None or construction_started is not None:
        return IdleLand(None, "none", land_price_wan=land_price_wan)
    years = full_years(land_supplied, as_of)
    if years >= 2:
        return IdleLand(years, "reclaim", land_price_wan=land_price_wan)
    if years >= 1:
        fee = round(land_price_wan * IDLE_FEE_SHARE, 2) if land_price_wan is not None else None
        return IdleLand(years, "fee", land_price_wan=land_price_wan, fee_wan=fee)
    return IdleLand(years, "none", land_price_wan=land_price_wan)


def is_measured(project_type: str | None, park_level: str | None, in_industrial_park: bool) -> bool:
    """Tell whether the intensity thresholds apply: industrial projects, logistics inside an industrial park."""
    if project_type in INTENSITY_PROJECT_TYPES:
        return True
    return project_type in PARK_PROJECT_TYPES and (in_industrial_park or park_level in INVESTMENT_INTENSITY_MIN)


def intensity_indicators(project_type: str | None, park_level: str | None, area_mu: float,
                         investment_wan: float | None, floor_area_ratio: float | None,
                         building_coverage: float | None, annual_tax_wan: float | None,
                         in_industrial_park: bool = False) -> list[Indicator]:
    """Return the intensity indicators of a measured project (empty for the others).

    Without a park level the investment intensity is given but not judged
    (``threshold`` and ``ok`` None); :func:`findings` states why.
    """
    if not is_measured(project_type, park_level, in_industrial_park):
        return []

    def per_mu(v):
        return v / area_mu if v is not None and area_mu > 0 else None
    intensity = per_mu(investment_wan)
    tax = per_mu(annual_tax_wan)
    if park_level in INVESTMENT_INTENSITY_MIN:
        inv_min = INVESTMENT_INTENSITY_MIN[park_level]
        lvl_zh, lvl_en = PARK_LEVEL_LABELS[park_level]
        investment = Indicator("investment_intensity", f"投资强度（{lvl_zh}）", f"Investment intensity ({lvl_en})",
                               intensity, inv_min, "万元/亩", _at_least(intensity, inv_min), BASIS_INTENSITY)
    else:
        investment = Indicator("investment_intensity", "投资强度（园区级别未填）",
                               "Investment intensity (park level not given)", intensity, None, "万元/亩", None,
                               BASIS_INTENSITY)
    tax_ok = _at_least(tax, ANNUAL_TAX_MIN)
    return [
        investment,
        Indicator("floor_area_ratio", "容积率", "Floor-area ratio", floor_area_ratio, FLOOR_AREA_RATIO_MIN,
                  "", _at_least(floor_area_ratio, FLOOR_AREA_RATIO_MIN), BASIS_INTENSITY),
        Indicator("building_coverage", "建筑系数", "Building coverage", building_coverage,
                  BUILDING_COVERAGE_MIN, "", _at_least(building_coverage, BUILDING_COVERAGE_MIN),
                  BASIS_INTENSITY),
        Indicator("annual_tax", "年税收（亩均）", "Annual tax per mu", tax, ANNUAL_TAX_MIN, "万元/亩", tax_ok,
                  BASIS_INTENSITY, TAX_CONSEQUENCE if tax_ok is False else None,
                  TAX_CONSEQUENCE_EN if tax_ok is False else None),
    ]


def findings(project_type: str | None, park_level: str | None, in_industrial_park: bool) -> list[Finding]:
    """Return what the land-use review finds beyond the indicators (a missing park level)."""
    if is_measured(project_type, park_level, in_industrial_park) and park_level not in INVESTMENT_INTENSITY_MIN:
        return [Finding("park_level_missing",
                        "园区级别未填：无法确定投资强度标准（国家级 200、省级 150、其他 100 万元/亩），须补填后审查",
                        "Park level not given: the investment-intensity threshold (200/150/100) cannot be chosen; "
                        "enter it and review", "needs_review")]
    return []


def review(project_type: str | None, park_level: str | None, area_mu: float, investment_wan: float | None,
           floor_area_ratio: float | None, building_coverage: float | None, annual_tax_wan: float | None,
           land_supplied: date | None, construction_started: date | None, as_of: date,
           land_price_wan: float | None = None, in_industrial_park: bool = False) -> LandUseReview:
    """Return the whole land-use review of one project on ``as_of``."""
    return LandUseReview(
        intensity_indicators(project_type, park_level, area_mu, investment_wan, floor_area_ratio,
                             building_coverage, annual_tax_wan, in_industrial_park),
        findings(project_type, park_level, in_industrial_park),
        idle_land(land_supplied, construction_started, as_of, land_price_wan))


def _at_least(value: float | None, threshold: float) -> bool | None:
    return None if value is None else value >= threshold - 1e-9


def outcome(indicators: list[Indicator], idle: IdleLand, found: list[Finding] = ()) -> str:
    """Return pass, needs_review (an indicator short, idle 1–2 years, a finding) or fail (land to be reclaimed)."""
    if idle.consequence == "reclaim" or any(f.outcome == "fail" for f in found):
        return "fail"
    if idle.consequence == "fee" or any(i.ok is False for i in indicators) or found:
        return "needs_review"
    return "pass"

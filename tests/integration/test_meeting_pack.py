"""The meeting pack, read as a leader reads it (pdftotext): complete, and true as of its date.

One pack is rendered for today and one for an earlier date, with the sample
rasters stored.  The checks are on the PDF's text: every indicator row and
sub-area is there (tables flow onto continuation pages), the 平均高程 column
has the DEM's values, zone pages show what matters for each zone, legends
name every category, no glyph is missing from the embedded font, and the
earlier pack shows projects and flags as they were recorded then.
"""
from __future__ import annotations

import re
import warnings
from datetime import date

import pytest
from shapely.geometry import box
from sqlalchemy import func, select, text

from gis_tracker.models import Zone
from gis_tracker.services.cartography import meeting_pack
from gis_tracker.services.exchange import zonal
from tests.factories import add_protected, lonlat, retire, unique
from tests.support.clients import login, sandbox
from tests.support.features import get_feature, patch_feature, post_feature
from tests.support.pdf import pdf_pages

EARLIER = date(2021, 12, 31)


def _spot(session, code: str, dx: float = 0.0):
    """A 40 m square inside sub-area ``code`` (its representative point), moved east by ``dx`` metres."""
    import shapely
    wkb = session.scalar(select(func.ST_AsBinary(func.ST_PointOnSurface(Zone.geom))).where(Zone.code == code))
    p = shapely.from_wkb(bytes(wkb))
    return box(p.x - 20 + dx, p.y - 20, p.x + 20 + dx, p.y + 20)


@pytest.fixture(scope="module")
def packs(app, tmp_path_factory):
    """Render the pack for today and for EARLIER, around projects recorded then and now."""
    directory = tmp_path_factory.mktemp("packs")
    with sandbox(app, tmp_path_factory, load_rasters=True), app.app_context():
        from gis_tracker.db import db
        session = db.session
        client = login(app.test_client(), "planner")
        old_name, new_name, today_name = unique("早年项目"), unique("改名后项目"), unique("今天的项目")
        # A project recorded in 2021 (its creation backdated as if entered then), renamed today.
        old = post_feature(client, "projects", {"name": old_name, "project_type": "public", "status": "planned"},
                           lonlat(_spot(session, "TX-WY-2")))
        assert old.status_code == 201, old.get_json()
        oid = old.get_json()["id"]
        session.execute(text("UPDATE projects SET created_at = '2021-06-01' WHERE id = :id"), {"id": oid})
        session.execute(text("UPDATE feature_versions SET at = '2021-06-01' WHERE collection = 'projects' "
                             "AND feature_id = :id"), {"id": oid})
        session.commit()
        renamed = patch_feature(client, "projects", oid, get_feature(client, "projects", oid).headers["ETag"],
                                {"name": new_name})
        assert renamed.status_code == 200
        # A project drawn today over a protected area: it and its flag belong to today's pack only.
        square = _spot(session, "JLS-GNP-4")
        zone = add_protected(session, square.buffer(30), category="green_heart", tier="restricted")
        today = post_feature(client, "projects", {"name": today_name, "project_type": "tourism", "status": "planned"},
                             lonlat(square))
        assert today.status_code == 201 and today.get_json()["flags"], today.get_json()
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                now_pdf = meeting_pack.render(session, date.today())
                then_pdf = meeting_pack.render(session, EARLIER)
            now_dir, then_dir = directory / "now", directory / "then"
            now_dir.mkdir()
            then_dir.mkdir()
            result = {"now": pdf_pages(now_pdf, now_dir), "now_layout": pdf_pages(now_pdf, now_dir, layout=True),
                      "then": pdf_pages(then_pdf, then_dir), "warnings": [str(w.message) for w in caught],
                      "names": (old_name, new_name, today_name), "indicators": zonal.indicators(session)}
        finally:
            retire(session, zone)
        yield result


def _section(pages: list[str], heading: str) -> str:
    """The text of every page whose first line starts with ``heading`` (continuation pages included)."""
    return "\n".join(p for p in pages if p.strip() and p.strip().splitlines()[0].startswith(heading))


def test_no_glyph_is_missing_from_the_embedded_font(packs, session):
    """The pack's own text (headings, marks, units) has every glyph; only text users typed may lack one."""
    typed = "".join(session.scalars(text("SELECT name FROM projects UNION ALL SELECT name FROM zones "
                                         "UNION ALL SELECT name FROM encroachment_rules")).all())
    missing = []
    for w in packs["warnings"]:
        m = re.match(r"Glyph (\d+) ", w)
        if m and chr(int(m.group(1))) not in typed or "missing from" in w and not m:
            missing.append(w)
    assert missing == []
    assert "✗" not in "".join(packs["now"]) and "✓" not in "".join(packs["now"])


def test_contents_list_every_section_with_its_page(packs):
    pages, layout = packs["now"], packs["now_layout"]
    assert pages[1].strip().startswith("目录")
    listed = {}
    for line in layout[1].splitlines():
        m = re.match(r"^\s*(\S.*?)\s+(\d+)\s*$", line)
        if m:
            listed[m.group(1)] = int(m.group(2))
    expected = {}
    for number, page in enumerate(pages[2:], start=3):
        heading = page.strip().splitlines()[0]
        if not heading.endswith("（续）"):
            expected[heading] = number
    assert listed == expected
    total = len(pages)
    for number, page in enumerate(pages[1:], start=2):
        assert f"第{number}页/共{total}页" in "".join(page.split())


def test_every_indicator_row_and_sub_area_is_printed_with_its_elevation(packs, session):
    data = packs["indicators"]
    table = _section(packs["now_layout"], "全区指标表 · 各片区与功能区")
    assert "全区指标表 · 各片区与功能区（续）" in table  # 38 rows do not fit one page: they flow on
    lines = [line.strip() for line in table.splitlines()]
    names = [z["name"] for z in data["zones"]] + [data["district"]["name"]]
    assert len(names) == session.scalar(select(func.count()).select_from(Zone).where(Zone.deleted_at.is_(None))) + 1
    for entry in [data["district"], *data["zones"]]:
        row = next((line for line in lines if line.startswith(entry["name"] + " ")), None)
        assert row is not None, f"{entry['name']} missing from the indicators table"
        mean = (entry["dem"] or {}).get("mean_elevation")
        last = row.split()[-1]
        if mean is not None:  # the 平均高程 column has the DEM's value, not "—"
            assert last == f"{mean:.0f}", (entry["name"], row)
        forest = next(t for t in entry["targets"] if t["key"] == "forest_cover")["value"]
        if forest is not None:
            assert f"{forest:.1f}" in row.split(), row


def test_the_district_target_comes_first_and_is_judged(packs):
    data = packs["indicators"]
    judged = _section(packs["now_layout"], "全区指标表 · 规划目标")
    forest = next(t for t in data["district"]["targets"] if t["key"] == "forest_cover")
    row = next(line for line in judged.splitlines() if "森林覆盖率" in line and "全区" in line)
    assert f"{forest['value']:.1f}%" in row and ("未达标" if forest["value"] < 55 else "达标") in row
    assert "中心城区建成区绿化覆盖率" in judged and "建成区按土地覆盖栅格确定" in judged
    pages = packs["now"]
    headings = [p.strip().splitlines()[0] for p in pages if p.strip()]
    assert headings.index("全区指标表 · 规划目标") < headings.index("全区指标表 · 各片区与功能区")


def test_zone_pages_show_what_matters_for_each_zone(packs, session):
    pages = packs["now"]
    everything = "".join(pages)
    assert "共 0 家" not in everything
    qst = _section(pages, "清水塘片区 · 搬迁进度")
    assert "共 172 家" in qst and "验收销号" in qst and "合计" in qst
    milestones = _section(pages, "清水塘片区 · 规划目标进度")
    assert "十年建成生态科技新城" in milestones and "五年综合整治基本到位" in milestones
    assert "2024-12-31" in milestones
    for zone, project in (("田心片区", "南车株机百亿扩能二期"), ("九郎山片区", "秋瑾故居修复"), ("清水塘片区", "霞湾港二期")):
        table = _section(pages, f"{zone} · 建设项目")
        assert project in table, zone
        assert _section(pages, f"{zone} · 绿化指标（参考）"), zone
        assert "搬迁进度" not in _section(pages, f"{zone} · 概况图") or zone == "清水塘片区"
    assert not _section(pages, "田心片区 · 搬迁进度") and not _section(pages, "九郎山片区 · 搬迁进度")
    assert "绿心限制开发区" in _section(pages, "九郎山片区 · 建设项目")  # today's project with its flag


def test_legends_name_every_category(packs):
    overview = _section(packs["now"], "石峰区总览图")
    for label in ("畜禽禁养区", "畜禽限养区", "森林公园", "禁止开发区", "一级保护区", "水体", "验收销号"):
        assert label in overview, label
    assert "其他" not in overview


def test_the_earlier_pack_shows_things_as_they_were_recorded_then(packs):
    old_name, new_name, today_name = packs["names"]
    now, then = "".join(packs["now"]), "".join(packs["then"])
    assert "截至 2021-12-31" in packs["then"][0]
    assert new_name in now and today_name in now and old_name not in now
    assert old_name in then  # its name as recorded in 2021
    assert new_name not in then and today_name not in then  # renamed and drawn only today
    flags_then = _section(packs["then"], "侵占预警")
    assert today_name not in flags_then and "没有未处理的侵占预警" in flags_then  # flags were all raised later
    assert today_name in _section(packs["now"], "侵占预警")

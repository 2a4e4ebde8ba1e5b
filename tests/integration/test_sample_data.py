"""The sample district: what a planner expects to find after the first start."""
from sqlalchemy import func, select, text

from gis_tracker.models import Enterprise, Project, ProtectedArea, WaterBody, Zone

NAMED_PROJECTS = ["田心城市综合体", "上善国际", "亿都豪生", "白马欧洲小镇", "铜塘湾综合保税物流园",
                  "湘江金属物流城", "霞湾港二期", "秋瑾故居修复", "枫林水寨", "明峰生态园",
                  "铜霞路二期", "铜霞路三期", "物流西路", "田心大道", "田林路"]


def test_172_enterprises_and_three_top_level_zones(session):
    assert session.scalar(select(func.count()).select_from(Enterprise)) == 172
    tops = dict(session.execute(select(Zone.code, Zone.name).where(Zone.parent_id.is_(None))).all())
    assert sorted(tops) == ["JLS", "QST", "TX"]
    assert "清水塘" in tops["QST"] and "田心" in tops["TX"] and "九郎山" in tops["JLS"]


def test_named_enterprises_are_real_and_the_rest_marked_sample(session):
    names = session.scalars(select(Enterprise.name).where(Enterprise.is_sample.is_(False))).all()
    joined = "".join(names)
    for short in ("株洲冶炼", "株洲化工", "旗滨"):
        assert short in joined
    samples = session.scalars(select(Enterprise.name).where(Enterprise.is_sample.is_(True))).all()
    assert len(samples) == 169 and all("示例" in n for n in samples)


def test_plan_sub_areas_are_in_the_hierarchy(session):
    names = set(session.scalars(select(Zone.name).where(Zone.level == "sub_area")).all())
    for expected in ("霞湾公园生态绿化带", "清水湖滨水特色商业中心", "疏港大道产业发展轴", "清水湖现代物流片",
                     "总部研发中心", "清水塘现代物流园", "中部低碳共享生态廊", "整装产业园", "培训中心"):
        assert expected in names
    kinds = set(session.scalars(select(Zone.kind).where(Zone.level == "sub_area")).all())
    assert {"一带", "双心", "三轴", "四片", "一心", "三园", "多商区", "一廊", "三带", "五园", "三中心"} <= kinds


def test_sub_areas_lie_in_their_parent_zone(session):
    outside = session.execute(text(
        "SELECT c.name FROM zones c JOIN zones p ON p.id = c.parent_id "
        "WHERE ST_Area(ST_Difference(c.geom, p.geom)) > 1.0")).all()
    assert outside == []


def test_all_enterprises_are_in_qingshuitang(session):
    outside = session.execute(text(
        "SELECT e.name FROM enterprises e, zones z WHERE z.code = 'QST' AND NOT ST_Within(e.geom, z.geom)")).all()
    assert outside == []


def test_named_projects_and_layers_present(session):
    names = "|".join(session.scalars(select(Project.name)).all())
    for project in NAMED_PROJECTS:
        assert project in names, project
    water = set(session.scalars(select(WaterBody.name)).all())
    assert {"湘江", "霞湾港", "铜塘湾港", "白石港", "清水湖"} <= water
    tiers = set(session.scalars(select(ProtectedArea.tier).where(ProtectedArea.category == "green_heart")).all())
    assert tiers == {"prohibited", "restricted", "controlled"}


def test_some_projects_deliberately_encroach(session):
    """Later flagging needs real cases: projects overlapping protected areas or water."""
    hits = session.scalar(text(
        "SELECT count(DISTINCT p.id) FROM projects p JOIN protected_areas a "
        "ON ST_Intersects(p.geom, a.geom) AND a.category = 'green_heart'"))
    water = session.scalar(text(
        "SELECT count(DISTINCT p.id) FROM projects p JOIN water_bodies w ON ST_Intersects(p.geom, w.geom)"))
    assert hits >= 1 and water >= 1


def test_postgis_area_of_a_kilometre_square_is_1500_mu(session):
    m2 = session.scalar(text(
        "SELECT ST_Area(ST_MakeEnvelope(413000, 3085000, 414000, 3086000, 4547))"))
    assert abs(m2 - 1e6) / 1e6 < 0.001
    assert abs(m2 / (10000 / 15) - 1500) / 1500 < 0.001

"""The register of the plan's measurable targets (seeded from the plan), their yearly values, index reports.

Revision ID: 0042_plan_indicators
Revises: 0041_restoration
Create Date: 2026-12-04

Every row of ``plan_indicators`` quotes the plan (《石峰区两型建设攻坚实施方案》, the district's
2014—2017 programme) verbatim in ``basis``; ``tests/integration/test_plan_register.py`` checks each
sentence against the plan text.  Where the sentence names no year the deadline is the programme's end
(2017) with ``deadline_stated`` false.  ``index_reports`` are locked by a trigger like review reports.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0042_plan_indicators"
down_revision = "0041_restoration"
branch_labels = None
depends_on = None

GOALS = ("全区能源消耗强度下降到0.75吨标准煤左右,城市生活垃圾无害化处理率达到100%,城市生活污水集中处理率达到90%,"
         "主要污染物排放总量累计减少10%,城区空气质量优良率按新标准达到85%,森林覆盖率保持在55%以上,集中式饮用水源达标率100%。")
RAIL = ("培育壮大南车株机、南车时代、南车电机3个百亿级旗舰企业,联诚集团、中铁轨道、九方装备3个过50亿的龙头企业,"
        "发展配套企业100家以上,到2017年,轨道交通产值达到1000亿元以上。")
BRANDS = "大力实施品牌战略,到2017年,力争创10个以上省优、国优名牌产品,全国著名(驰名)商标2个以上,全省著名(驰名)商标8个以上。"
GREEN = "到2017年建成区绿化覆盖率、绿地率分别保持52%、50%以上,中心城区建成区绿化覆盖率保持在50%以上,城市人均公共绿地保持在14平方米。"
AIR = "城区烟囱拆除率达70%左右,二氧化硫、氮氧化物、烟粉尘排放量较2012年分别削减10%左右。"
RURAL_WASTE = ("完善垃圾处理设施,建成1座以上无害化垃圾处理场、每个街道建成1个以上的垃圾中转站,在有10户以上的居住地建有垃圾收集点,"
               "在人口集中居住村庄按每30-50户标准配建1个垃圾收集点;")

# key, section, theme, label, label_en, target, unit, direction, mode, baseline_year, deadline, deadline_stated,
# value_unit, computed, weight, basis
INDICATORS = [
    ("energy_intensity", "一(二)", "resources", "能源消耗强度", "Energy intensity", 0.75, "吨标准煤/万元GDP", "<=",
     "level", None, 2017, True, None, None, 2.0, GOALS),
    ("msw_harmless", "一(二)", "living", "城市生活垃圾无害化处理率", "Harmless treatment of urban household waste",
     100, "%", ">=", "level", None, 2017, True, None, None, 2.0, GOALS),
    ("urban_sewage", "一(二)", "living", "城市生活污水集中处理率", "Central treatment of urban sewage", 90, "%", ">=",
     "level", None, 2017, True, None, None, 2.0, GOALS),
    ("pollutant_reduction", "一(二)", "ecology", "主要污染物排放总量累计减少", "Cumulative cut in main pollutants",
     10, "%", ">=", "level", None, 2017, True, None, None, 2.0, GOALS),
    ("air_quality", "一(二)", "ecology", "城区空气质量优良率（新标准）", "Days of good air quality (new standard)",
     85, "%", ">=", "level", None, 2017, True, None, None, 2.0, GOALS),
    ("forest_cover", "一(二)", "ecology", "森林覆盖率", "Forest cover", 55, "%", ">=", "level", None, 2017, True,
     None, "landcover", 2.0, GOALS),
    ("drinking_water", "一(二)", "ecology", "集中式饮用水源达标率", "Central drinking-water sources up to standard",
     100, "%", ">=", "level", None, 2017, True, None, None, 2.0, GOALS),
    ("qst_relocation", "二(一)1", "industry", "清水塘企业整体完成搬迁（验收销号）比例",
     "Qingshuitang enterprises relocated (accepted and closed)", 100, "%", ">=", "level", None, 2022, True, None,
     "enterprises", 1.0,
     "南片清水塘地区产业以转型升级为主,到2022年整体完成搬迁,重点发展物流产业、楼宇经济和承接部分轨道交通产业;"),
    ("rail_flagships", "二(一)2(2)", "industry", "百亿级轨道交通旗舰企业", "Rail-transport flagship firms (≥ 10 bn CNY)",
     3, "个", ">=", "level", None, 2017, False, None, None, 1.0, RAIL),
    ("rail_leaders", "二(一)2(2)", "industry", "过50亿元轨道交通龙头企业", "Rail-transport leading firms (≥ 5 bn CNY)",
     3, "个", ">=", "level", None, 2017, False, None, None, 1.0, RAIL),
    ("rail_suppliers", "二(一)2(2)", "industry", "轨道交通配套企业", "Rail-transport supplier firms", 100, "家", ">=",
     "level", None, 2017, False, None, None, 1.0, RAIL),
    ("rail_output", "二(一)2(2)", "industry", "轨道交通产值", "Rail-transport industry output", 1000, "亿元", ">=",
     "level", None, 2017, True, None, None, 1.0, RAIL),
    ("rd_institutions", "二(一)3(1)", "industry", "规模工业企业建立研发机构的比例",
     "Large industrial firms with an R&D unit", 100, "%", ">=", "level", None, 2017, False, None, None, 1.0,
     "实现规模工业企业全部建立研发机构,努力把石峰区打造成智力密集区和科技密集区。"),
    ("brand_products", "二(一)3(1)", "industry", "省优、国优名牌产品", "Provincial and national quality brands",
     10, "个", ">=", "level", None, 2017, True, None, None, 1.0, BRANDS),
    ("national_trademarks", "二(一)3(1)", "industry", "全国著名(驰名)商标", "Nationally well-known trademarks",
     2, "个", ">=", "level", None, 2017, True, None, None, 1.0, BRANDS),
    ("provincial_trademarks", "二(一)3(1)", "industry", "全省著名(驰名)商标", "Provincially well-known trademarks",
     8, "个", ">=", "level", None, 2017, True, None, None, 1.0, BRANDS),
    ("public_green_building", "二(二)2", "living", "2万m²以上新建公共建筑按绿色建筑标准建设的比例",
     "New public buildings over 20,000 m² built to the green standard", 100, "%", ">=", "level", None, 2014, True,
     None, "projects_public_green", 1.0,
     "自2014年开始,城区新建面积在2万平方米以上的公共建筑和保障性住房按绿色建筑标准建设,引导商业房地产开发项目执行绿色建筑标准。"),
    ("energy_retrofit", "二(二)2", "living", "既有公共建筑节能改造面积", "Energy retrofit of existing public buildings",
     10, "万m²", ">=", "level", None, 2017, False, None, None, 1.0,
     "既有公共建筑和公共机构办公建筑完成节能改造10万平方米左右。"),
    ("green_building_share", "二(二)2", "living", "新建建筑中绿色建筑的比例", "Share of new buildings that are green",
     40, "%", ">=", "level", None, 2017, True, None, "projects_green_share", 1.0,
     "到2017年,全区40%以上的新建建筑达到绿色建筑标准要求。"),
    ("waste_sorting", "二(二)3(1)", "living", "生活垃圾分类处理率", "Household waste sorted and treated", 90, "%",
     ">=", "level", None, 2017, True, None, None, 1.0, "到2017年,生活垃圾分类处理率达到90%以上。"),
    ("builtup_green_cover", "二(三)5(1)", "ecology", "建成区绿化覆盖率", "Green cover of the built-up area", 52, "%",
     ">=", "level", None, 2017, True, None, "landcover", 1.0, GREEN),
    ("green_space_ratio", "二(三)5(1)", "ecology", "建成区绿地率", "Green-space ratio of the built-up area", 50, "%",
     ">=", "level", None, 2017, True, None, "landcover", 1.0, GREEN),
    ("central_green_cover", "二(三)5(1)", "ecology", "中心城区建成区绿化覆盖率",
     "Green cover of the central built-up area", 50, "%", ">=", "level", None, 2017, True, None, None, 1.0, GREEN),
    ("green_per_capita", "二(三)5(1)", "ecology", "城市人均公共绿地", "Public green space per person", 14, "m²/人",
     ">=", "level", None, 2017, True, None, "landcover", 1.0, GREEN),
    ("harbour_renovation", "二(三)1", "ecology", "完成综合整治的港（霞湾港、铜塘湾港、白石港）",
     "Harbour creeks renovated (Xiawan, Tongtangwan, Baishi)", 3, "个", ">=", "level", None, 2017, False, None,
     None, 1.0, "全面完成霞湾港、铜塘湾港、白石港的综合整治,打造各具特色的滨水景观带。"),
    ("chimney_removal", "二(三)2", "ecology", "城区烟囱拆除率", "Urban chimneys removed", 70, "%", ">=", "level",
     None, 2017, False, None, "enterprises_chimneys", 1.0, AIR),
    ("so2_reduction", "二(三)2", "ecology", "二氧化硫排放量较2012年削减", "SO₂ emissions cut from 2012", 10, "%", ">=",
     "reduction_vs_baseline", 2012, 2017, False, "吨", None, 1.0, AIR),
    ("nox_reduction", "二(三)2", "ecology", "氮氧化物排放量较2012年削减", "NOₓ emissions cut from 2012", 10, "%", ">=",
     "reduction_vs_baseline", 2012, 2017, False, "吨", None, 1.0, AIR),
    ("dust_reduction", "二(三)2", "ecology", "烟粉尘排放量较2012年削减", "Smoke and dust emissions cut from 2012", 10,
     "%", ">=", "reduction_vs_baseline", 2012, 2017, False, "吨", None, 1.0, AIR),
    ("livestock_treatment", "二(三)3", "ecology", "50头以上规模化养殖场污染治理率",
     "Farms of 50+ head with pollution treated", 100, "%", ">=", "level", None, 2017, True, None, None, 1.0,
     "到2017年,50头以上的规模化养殖场的污染得到治理,集中饮用水水源保护区和居民集中区不得建设畜禽养殖场。"),
    ("harmless_landfill", "二(三)4(1)", "ecology", "无害化垃圾处理场", "Sanitary waste-treatment sites", 1, "座",
     ">=", "level", None, 2017, False, None, None, 1.0, RURAL_WASTE),
    ("transfer_stations", "二(三)4(1)", "ecology", "建有垃圾中转站的街道比例", "Sub-districts with a waste transfer station",
     100, "%", ">=", "level", None, 2017, False, None, None, 1.0, RURAL_WASTE),
    ("rural_sewage", "二(三)4(1)", "ecology", "农村生活污水处理率较2012年提高",
     "Rural sewage treatment rate, rise from 2012", 10, "百分点", ">=", "increase_vs_baseline", 2012, 2017, True,
     "%", None, 1.0, "到2017年,农村生活污水处理率在2012年的基础上提高10%左右。"),
    ("restoration_on_time", "二(三)4(2)", "ecology", "工程损毁按期（竣工一年内）完成生态修复的比例",
     "Construction damage restored within a year of completion", 100, "%", ">=", "level", None, 2017, False, None,
     "projects_restoration", 1.0,
     "强化生态修复,因工程建设等造成山体、土壤、水体及河湖岸线损毁的,应在工程竣工一年内完成生态修复。"),
    ("rooftop_solar", "二(四)2(2)", "resources", "屋顶光伏装机容量", "Rooftop photovoltaic capacity", 100, "MW", ">=",
     "level", None, 2017, False, None, "projects_solar", 1.0,
     "加快路灯节能改造,积极推广太阳能屋顶光伏发电,力争完成100MW的装机容量,在两大园区的厂房建筑,原则上都采用屋顶太阳能利用设施。"),
    ("low_carbon_travel", "二(五)2", "transport", "低碳出行比例", "Low-carbon share of trips", 70, "%", ">=", "level",
     None, 2017, True, None, None, 1.0, "争取到2017年低碳出行比例达70%左右。"),
    ("egov_coverage", "二(六)3", "smart", "区、街道两级政务部门主要任务信息化覆盖率",
     "Main government tasks handled digitally (district and sub-district)", 80, "%", ">=", "level", None, 2017, True,
     None, None, 1.0, "到2017年,区、街道两级政务部门主要任务信息化覆盖率超过80%。"),
    ("village_population", "二(七)1(1)", "management", "人口达到1000人以上的村的比例",
     "Villages with 1,000 or more inhabitants", 100, "%", ">=", "level", None, 2017, False, None, None, 1.0,
     "优化行政区划,积极稳妥推进乡镇、行政村合并,积极推进村改居工作,力争每个村人口达到1000人以上。"),
    ("review_coverage", "二(七)2(3)", "management", "新上项目两型审查覆盖率", "New projects with a two-oriented review",
     100, "%", ">=", "level", None, 2017, False, None, "projects_reviews", 1.0,
     "对与节约资源和保护环境有关的新编制的规划、新上项目等进行两型审查,审查未通过的不得实施。"),
    ("media_reports", "二(八)2", "culture", "市级主要媒体集中宣传报道两型工作经验", "City media features on two-oriented work",
     1, "次/年", ">=", "level", None, 2017, False, None, None, 1.0,
     "持续宣传推介两型社会建设改革的经验模式和有效做法,在市级各主要媒体每年集中宣传报道两型工作经验1次以上。"),
    ("volunteer_share", "二(八)4", "culture", "两型志愿者占总人口比重", "Two-oriented volunteers in the population", 10,
     "%", ">=", "level", None, 2017, False, None, None, 1.0, "大力发展两型志愿者队伍,争取志愿者比重占总人口数的10%。"),
]

LOCK_SQL = """
CREATE FUNCTION index_reports_locked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'index report % is published and locked', OLD.number USING ERRCODE = 'P0001';
END $$;
"""


def upgrade() -> None:
    register = op.create_table(
        "plan_indicators",
        sa.Column("key", sa.String(60), primary_key=True),
        sa.Column("section", sa.String(40), nullable=False),
        sa.Column("theme", sa.String(40), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("label_en", sa.String(200), nullable=False),
        sa.Column("target", sa.Float, nullable=False),
        sa.Column("unit", sa.String(40), nullable=False),
        sa.Column("direction", sa.String(2), nullable=False),
        sa.Column("mode", sa.String(30), nullable=False, server_default="level"),
        sa.Column("baseline_year", sa.Integer),
        sa.Column("deadline", sa.Integer),
        sa.Column("deadline_stated", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("basis", sa.Text, nullable=False),
        sa.Column("value_unit", sa.String(40)),
        sa.Column("computed", sa.String(40)),
        sa.Column("weight", sa.Float, nullable=False, server_default="1"),
        sa.Column("sort_order", sa.Integer, nullable=False, server_default="100"),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("updated_by", sa.String(64)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("direction IN ('>=', '<=')", name="ck_plan_indicators_direction"),
        sa.CheckConstraint("mode IN ('level', 'reduction_vs_baseline', 'increase_vs_baseline')",
                           name="ck_plan_indicators_mode"),
        sa.CheckConstraint("weight >= 0", name="ck_plan_indicators_weight"),
    )
    op.create_table(
        "plan_indicator_values",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("indicator_key", sa.String(60), sa.ForeignKey("plan_indicators.key"), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("source_date", sa.Date),
        sa.Column("note", sa.Text),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("entered_by", sa.String(64), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        sa.Column("deleted_by", sa.String(64)),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name="ck_plan_indicator_values_year"),
        sa.CheckConstraint("value NOT IN ('NaN', 'Infinity', '-Infinity')",
                           name="ck_plan_indicator_values_finite"),
    )
    op.create_index("ix_plan_indicator_values_indicator_key", "plan_indicator_values", ["indicator_key"])
    op.create_index("uq_plan_indicator_values_live", "plan_indicator_values", ["indicator_key", "year"],
                    unique=True, postgresql_where=sa.text("deleted_at IS NULL"))
    op.create_table(
        "index_reports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number", sa.String(60), nullable=False, unique=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("index_value", sa.Float),
        sa.Column("coverage", sa.Float, nullable=False),
        sa.Column("inputs", JSONB, nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("published_by", sa.String(64), nullable=False),
        sa.Column("pdf", sa.LargeBinary, nullable=False),
        sa.Column("pdf_sha256", sa.String(64), nullable=False),
        sa.UniqueConstraint("year", "seq", name="uq_index_reports_year_seq"),
    )
    op.execute(LOCK_SQL)
    op.execute("CREATE TRIGGER trg_index_reports_locked BEFORE UPDATE OR DELETE ON index_reports "
               "FOR EACH ROW EXECUTE FUNCTION index_reports_locked()")
    columns = ("key", "section", "theme", "label", "label_en", "target", "unit", "direction", "mode",
               "baseline_year", "deadline", "deadline_stated", "value_unit", "computed", "weight", "basis")
    op.bulk_insert(register, [{**dict(zip(columns, row)), "target": float(row[5]), "sort_order": (i + 1) * 10,
                               "version": 1, "updated_by": "migration"} for i, row in enumerate(INDICATORS)])


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS trg_index_reports_locked ON index_reports")
    op.drop_table("index_reports")
    op.execute("DROP FUNCTION IF EXISTS index_reports_locked()")
    op.drop_table("plan_indicator_values")
    op.drop_table("plan_indicators")

"""Encroachment rules (seeded), flags with history, subdivided protected parts, locked review reports.

Revision ID: 0004_encroachment
Revises: 0002_versions_layers
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004_encroachment"
down_revision = "0002_versions_layers"
branch_labels = None
depends_on = None

SRID = 4547
SUBDIVIDE_MAX_VERTICES = 128  # 0004b_subdivide_256 raises it to 256
PLAN = "《石峰区两型建设攻坚实施方案》"
PLAN_EN = "Shifeng District two-oriented-society implementation plan"
REVIEW = "；二(七)2(3) 实现两型审查全覆盖，审查未通过的不得实施"
REVIEW_EN = "; II(7)2(3): every new project gets a two-oriented review, projects that fail may not proceed"

# code, name, name_en, layer, filter, project_types, relation, distance, severity, message, message_en, basis, basis_en
DEFAULT_RULES = [
    ("green_heart_prohibited", "绿心禁止开发区", "Green heart: prohibited development zone",
     "protected_areas", {"category": ["green_heart"], "tier": ["prohibited"]}, None, "intersects", 0, "violation",
     "项目用地进入长株潭绿心禁止开发区，禁止建设。",
     "The project enters the green-heart prohibited development zone, where building is forbidden.",
     PLAN + "二(三)5(3)“加强绿心保护，严格执行绿心保护条例标准，严禁破坏绿心行为”；"
     "《湖南省长株潭城市群生态绿心地区保护条例》" + REVIEW,
     PLAN_EN + " II(3)5(3): protect the green heart, no damage to it; Hunan regulation on the "
     "Changsha-Zhuzhou-Xiangtan green heart" + REVIEW_EN),
    ("green_heart_restricted", "绿心限制开发区", "Green heart: restricted development zone",
     "protected_areas", {"category": ["green_heart"], "tier": ["restricted"]}, None, "intersects", 0, "review",
     "项目用地进入长株潭绿心限制开发区，须按绿心保护条例审查（见重叠面积及占项目比例）。",
     "The project enters the green-heart restricted development zone and needs review "
     "(see the overlap area and share of the project).",
     PLAN + "二(三)5(3)“加强绿心保护，严格执行绿心保护条例标准”" + REVIEW,
     PLAN_EN + " II(3)5(3): protect the green heart" + REVIEW_EN),
    ("green_heart_controlled", "绿心控制建设区", "Green heart: controlled construction zone",
     "protected_areas", {"category": ["green_heart"], "tier": ["controlled"]}, None, "intersects", 0, "warning",
     "项目用地位于长株潭绿心控制建设区，须符合控制建设要求。",
     "The project lies in the green-heart controlled construction zone; construction controls apply.",
     PLAN + "二(三)5(3)“加强绿心保护”" + REVIEW,
     PLAN_EN + " II(3)5(3): protect the green heart" + REVIEW_EN),
    ("water_body_overlap", "占用水体", "Overlaps a water body",
     "water_bodies", {}, None, "intersects", 0, "violation",
     "项目用地与河流、港渠、湖泊、水库或池塘重叠，不得填埋水体。",
     "The project overlaps a river, harbour, lake, reservoir or pond; water bodies may not be filled.",
     PLAN + "二(三)1“在项目建设中坚持不填埋河流、池塘等水体。对已填埋水体尽量进行‘退地还水’”" + REVIEW,
     PLAN_EN + " II(3)1: do not fill rivers, ponds or other water bodies in construction" + REVIEW_EN),
    ("near_xiang_river", "临近湘江（50 米内）", "Within 50 m of the Xiang River",
     "water_bodies", {"name": ["湘江"]}, None, "within_distance", 50, "warning",
     "项目用地距湘江不足 50 米，须保护岸线与滨水空间。",
     "The project is within 50 m of the Xiang River; protect the bank and riverside space.",
     PLAN + "二(三)1“深入推进湘江重金属污染治理……做好水面保护与扩容”" + REVIEW,
     PLAN_EN + " II(3)1: Xiang River pollution control, protect water surfaces" + REVIEW_EN),
    ("near_harbour", "临近港渠（50 米内）", "Within 50 m of a harbour creek",
     "water_bodies", {"kind": ["harbour"]}, None, "within_distance", 50, "warning",
     "项目用地距港渠（霞湾港、铜塘湾港、白石港等）不足 50 米，须保留滨水景观带。",
     "The project is within 50 m of a harbour creek (Xiawan, Tongtangwan, Baishi); keep the waterside belt.",
     PLAN + "二(三)1“全面完成霞湾港、铜塘湾港、白石港的综合整治，打造各具特色的滨水景观带”" + REVIEW,
     PLAN_EN + " II(3)1: remediate the Xiawan, Tongtangwan and Baishi creeks and build waterside belts"
     + REVIEW_EN),
    ("drinking_water_level1", "饮用水水源一级保护区", "Drinking-water source protection zone, level 1",
     "protected_areas", {"category": ["drinking_water"], "tier": ["level1"]}, None, "intersects", 0, "violation",
     "项目用地进入饮用水水源一级保护区，禁止建设与供水设施和保护水源无关的项目。",
     "The project enters a level-1 drinking-water protection zone, where only water-supply works may be built.",
     PLAN + "二(三)1“加强水库周边水源地保护与修复，维护水资源安全”；《中华人民共和国水污染防治法》第六十五条"
     + REVIEW,
     PLAN_EN + " II(3)1: protect water sources; Water Pollution Prevention and Control Law art. 65" + REVIEW_EN),
    ("drinking_water_level2", "饮用水水源二级保护区", "Drinking-water source protection zone, level 2",
     "protected_areas", {"category": ["drinking_water"], "tier": ["level2"]}, None, "intersects", 0, "review",
     "项目用地进入饮用水水源二级保护区，禁止建设排放污染物的项目，须审查。",
     "The project enters a level-2 drinking-water protection zone; polluting projects are forbidden, review needed.",
     PLAN + "二(三)1“加强水库周边水源地保护与修复”；《中华人民共和国水污染防治法》第六十六条" + REVIEW,
     PLAN_EN + " II(3)1: protect water sources; Water Pollution Prevention and Control Law art. 66" + REVIEW_EN),
    ("livestock_no_farming", "禁养区内畜禽养殖", "Livestock farm in a no-farming or drinking-water zone",
     "protected_areas", {"category": ["livestock_ban", "drinking_water"]}, ["livestock"], "intersects", 0,
     "violation",
     "畜禽养殖项目位于畜禽禁养区或饮用水水源保护区内，不得建设。",
     "A livestock farm in a livestock no-farming zone or drinking-water protection zone may not be built.",
     PLAN + "二(三)3“全面执行畜禽禁养、限养区规定……集中饮用水水源保护区和居民集中区不得建设畜禽养殖场”"
     + REVIEW,
     PLAN_EN + " II(3)3: enforce no-farming zones; no livestock farms in drinking-water protection zones or "
     "residential areas" + REVIEW_EN),
]

SYNC_FUNCTION = f"""
CREATE FUNCTION sync_protected_parts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    DELETE FROM protected_parts WHERE source = TG_TABLE_NAME AND feature_id = OLD.id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    IF NEW.deleted_at IS NULL THEN
      INSERT INTO protected_parts (source, feature_id, geom)
      SELECT TG_TABLE_NAME, NEW.id, ST_Subdivide(NEW.geom, {SUBDIVIDE_MAX_VERTICES});
    END IF;
  END IF;
  RETURN NULL;
END $$;
"""
LOCK_FUNCTION = """
CREATE FUNCTION review_reports_locked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'review report % is issued and locked', OLD.number USING ERRCODE = 'P0001';
END $$;
"""


def _tracked() -> list[sa.Column]:
    return [
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("created_by", sa.String(64)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_by", sa.String(64)),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        sa.Column("deleted_by", sa.String(64)),
    ]


def upgrade() -> None:
    rules = op.create_table(
        "encroachment_rules",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(60), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200)),
        sa.Column("layer", sa.String(40), nullable=False),
        sa.Column("feature_filter", JSONB, nullable=False, server_default="{}"),
        sa.Column("project_types", JSONB),
        sa.Column("relation", sa.String(20), nullable=False),
        sa.Column("distance_m", sa.Float, nullable=False, server_default="0"),
        sa.Column("min_overlap_m2", sa.Float, nullable=False, server_default="0"),
        sa.Column("min_overlap_pct", sa.Float, nullable=False, server_default="0"),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("message_en", sa.Text),
        sa.Column("basis", sa.Text, nullable=False),
        sa.Column("basis_en", sa.Text),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("sort_order", sa.Integer, nullable=False, server_default="100"),
        *_tracked(),
        sa.CheckConstraint("layer IN ('protected_areas','water_bodies')", name="ck_encroachment_rules_layer"),
        sa.CheckConstraint("relation IN ('intersects','contained_in','within_distance')",
                           name="ck_encroachment_rules_relation"),
        sa.CheckConstraint("severity IN ('violation','review','warning')", name="ck_encroachment_rules_severity"),
        sa.CheckConstraint("distance_m >= 0 AND min_overlap_m2 >= 0 AND min_overlap_pct BETWEEN 0 AND 100",
                           name="ck_encroachment_rules_thresholds"),
    )
    op.create_table(
        "encroachment_flags",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False, index=True),
        sa.Column("rule_id", sa.Integer, sa.ForeignKey("encroachment_rules.id"), nullable=False, index=True),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="open"),
        sa.Column("status_reason", sa.Text),
        sa.Column("status_by", sa.String(64)),
        sa.Column("status_at", sa.DateTime(timezone=True)),
        sa.Column("overlap_m2", sa.Float, nullable=False, server_default="0"),
        sa.Column("overlap_mu", sa.Float, nullable=False, server_default="0"),
        sa.Column("overlap_pct", sa.Float, nullable=False, server_default="0"),
        sa.Column("min_distance_m", sa.Float),
        sa.Column("features", JSONB, nullable=False, server_default="[]"),
        sa.Column("geom", Geometry("GEOMETRY", srid=SRID, spatial_index=False)),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("first_flagged_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("cleared_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("project_id", "rule_id", name="uq_encroachment_flags_project_rule"),
        sa.CheckConstraint("status IN ('open','acknowledged','resolved','waived')",
                           name="ck_encroachment_flags_status"),
    )
    op.create_index("ix_encroachment_flags_geom", "encroachment_flags", ["geom"], postgresql_using="gist")
    op.create_index("ix_encroachment_flags_features", "encroachment_flags", ["features"], postgresql_using="gin")
    op.create_table(
        "encroachment_flag_events",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("flag_id", sa.Integer, sa.ForeignKey("encroachment_flags.id"), nullable=False, index=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("username", sa.String(64)),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("from_status", sa.String(20)),
        sa.Column("to_status", sa.String(20)),
        sa.Column("reason", sa.Text),
        sa.Column("details", JSONB),
    )
    op.create_table(
        "protected_parts",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("feature_id", sa.Integer, nullable=False),
        sa.Column("geom", Geometry("GEOMETRY", srid=SRID, spatial_index=False), nullable=False),
    )
    op.create_index("ix_protected_parts_geom", "protected_parts", ["geom"], postgresql_using="gist")
    op.create_index("ix_protected_parts_feature", "protected_parts", ["source", "feature_id"])
    op.execute(SYNC_FUNCTION)
    for table in ("protected_areas", "water_bodies"):
        op.execute(f"CREATE TRIGGER trg_{table}_parts AFTER INSERT OR DELETE OR UPDATE OF geom, deleted_at "
                   f"ON {table} FOR EACH ROW EXECUTE FUNCTION sync_protected_parts()")
        op.execute(f"INSERT INTO protected_parts (source, feature_id, geom) "
                   f"SELECT '{table}', id, ST_Subdivide(geom, {SUBDIVIDE_MAX_VERTICES}) "
                   f"FROM {table} WHERE deleted_at IS NULL")
    op.create_table(
        "review_reports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number", sa.String(60), nullable=False, unique=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False, index=True),
        sa.Column("project_version", sa.Integer, nullable=False),
        sa.Column("data_version", sa.String(80), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("conclusion", sa.String(20), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("issued_by", sa.String(64), nullable=False),
        sa.Column("html", sa.Text, nullable=False),
        sa.Column("pdf", sa.LargeBinary, nullable=False),
        sa.Column("html_sha256", sa.String(64), nullable=False),
        sa.Column("pdf_sha256", sa.String(64), nullable=False),
        sa.UniqueConstraint("year", "seq", name="uq_review_reports_year_seq"),
        sa.CheckConstraint("conclusion IN ('pass','needs_review','fail')", name="ck_review_reports_conclusion"),
    )
    op.execute(LOCK_FUNCTION)
    op.execute("CREATE TRIGGER trg_review_reports_locked BEFORE UPDATE OR DELETE ON review_reports "
               "FOR EACH ROW EXECUTE FUNCTION review_reports_locked()")
    op.bulk_insert(rules, [
        {"code": code, "name": name, "name_en": name_en, "layer": layer, "feature_filter": filt,
         "project_types": types, "relation": relation, "distance_m": float(distance), "min_overlap_m2": 0.0,
         "min_overlap_pct": 0.0, "severity": severity, "message": msg, "message_en": msg_en, "basis": basis,
         "basis_en": basis_en, "active": True, "sort_order": (i + 1) * 10, "version": 1,
         "created_by": "migration", "updated_by": "migration"}
        for i, (code, name, name_en, layer, filt, types, relation, distance, severity, msg, msg_en, basis,
                basis_en) in enumerate(DEFAULT_RULES)
    ])


def downgrade() -> None:
    op.drop_table("review_reports")
    op.execute("DROP FUNCTION IF EXISTS review_reports_locked()")
    for table in ("protected_areas", "water_bodies"):
        op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_parts ON {table}")
    op.execute("DROP FUNCTION IF EXISTS sync_protected_parts()")
    op.drop_table("protected_parts")
    op.drop_table("encroachment_flag_events")
    op.drop_table("encroachment_flags")
    op.drop_table("encroachment_rules")

"""The 两型审查 is enforced: "审查未通过的不得实施" holds on every write path.

* ``review_gate_queue``: a row trigger on ``projects`` queues every write that
  takes a live project to 已批复/在建/已建成, restores one there, or changes what
  was approved (footprint, type, investment, park level, floor-area ratio,
  building coverage) of a project already there.  The one service every save
  goes through (``services/encroachment/gate.py``) judges the queued rows after
  the flags are re-checked, refuses the write or removes them.  A deferred
  constraint trigger refuses the COMMIT of any transaction that leaves a queued
  row behind — so a write path that skips the gate (an import, a restore, a
  script) cannot store a project at such a status unreviewed.
* ``review_overrides``: an admin's decision, with its reason, to let a project
  proceed against its review; bound to the reviewed data (fingerprint); never
  changed or deleted.
* ``projects.land_price_wan``: the land price (土地成交价款), for the idle-land fee.
* 畜禽限养区 (``livestock_restrict``) as a protected-area category; two rules:
  九郎山省级森林公园 (review) and livestock farms in a 限养区 (review).  (A downgrade
  keeps 限养区 features as 禁养区, the stricter category the older schema knows.)

Revision ID: 0021_review_workflow
Revises: 0020_zone_assignment
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0021_review_workflow"
down_revision = "0020_zone_assignment"
branch_labels = None
depends_on = None

GATED = "'approved', 'under_construction', 'completed'"
WORKFLOW = "ARRAY['planned', 'approved', 'under_construction', 'completed']"
PLAN_FIELDS = ("project_type", "investment_wan", "park_level", "floor_area_ratio", "building_coverage")

QUEUE_FUNCTION = f"""
CREATE FUNCTION queue_review_gate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.deleted_at IS NOT NULL OR NEW.status NOT IN ({GATED}) THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.deleted_at IS NULL
     AND array_position({WORKFLOW}, NEW.status::text) <= coalesce(array_position({WORKFLOW}, OLD.status::text), 0)
     AND ST_AsEWKB(NEW.geom) = ST_AsEWKB(OLD.geom)
     {"".join(f"AND NEW.{c} IS NOT DISTINCT FROM OLD.{c} " for c in PLAN_FIELDS)}THEN
    RETURN NULL;  -- nothing the review judged changed, and the status did not move forward
  END IF;
  INSERT INTO review_gate_queue (project_id, project_version, from_status, to_status)
  VALUES (NEW.id, NEW.version, CASE WHEN TG_OP = 'UPDATE' AND OLD.deleted_at IS NULL THEN OLD.status END,
          NEW.status);
  RETURN NULL;
END $$;
"""
UNCHECKED_FUNCTION = """
CREATE FUNCTION review_gate_unchecked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM review_gate_queue WHERE id = NEW.id) THEN
    RAISE EXCEPTION 'project % cannot be % without passing the two-oriented review', NEW.project_id, NEW.to_status
      USING ERRCODE = '23R01', DETAIL = 'review_required:' || NEW.project_id;
  END IF;
  RETURN NULL;
END $$;
"""
LOCK_FUNCTION = """
CREATE FUNCTION review_overrides_locked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'review override % is recorded and locked', OLD.id USING ERRCODE = 'P0001';
END $$;
"""
PLAN = "《石峰区两型建设攻坚实施方案》"
PLAN_EN = "Shifeng District two-oriented-society implementation plan"
REVIEW = "；二(七)2(3) 实现两型审查全覆盖，审查未通过的不得实施"
REVIEW_EN = "; II(7)2(3): every new project gets a two-oriented review, projects that fail may not proceed"
NEW_RULES = [
    ("forest_park", "九郎山省级森林公园", "Jiulang Mountain provincial forest park",
     {"category": ["forest_park"]}, None, 110,
     "项目用地进入九郎山省级森林公园，须符合森林公园总体规划、保护森林风景资源，经林业主管部门同意，须审查。",
     "The project enters the Jiulang Mountain provincial forest park; it must fit the park's master plan, "
     "protect its forest landscape and have the forestry authority's consent: review needed.",
     PLAN + "二(一)2(3)“积极创建九郎山省级森林公园”、二(三)5(3)“加快建设九郎山风景区，大力发展生态旅游”" + REVIEW,
     PLAN_EN + " II(1)2(3): create the Jiulang Mountain provincial forest park; II(3)5(3): build the Jiulang "
     "Mountain scenic area, develop eco-tourism" + REVIEW_EN),
    ("livestock_restricted", "限养区内畜禽养殖", "Livestock farm in a restricted-farming zone",
     {"category": ["livestock_restrict"]}, ["livestock"], 120,
     "畜禽养殖项目位于畜禽限养区内：须控制养殖规模和总量，配套粪污处理与综合利用设施，须审查。",
     "A livestock farm in a restricted-farming zone: its size is capped and it needs manure treatment and reuse; "
     "review needed.",
     PLAN + "二(三)3“全面执行畜禽禁养、限养区规定……到2017年，50头以上的规模化养殖场的污染得到治理”" + REVIEW,
     PLAN_EN + " II(3)3: enforce no-farming and restricted-farming zones; pollution of farms of 50 head or more "
     "treated by 2017" + REVIEW_EN),
]
CATEGORIES_BEFORE = "'green_heart','drinking_water','livestock_ban','forest_park'"
CATEGORIES_AFTER = CATEGORIES_BEFORE + ",'livestock_restrict'"


def upgrade() -> None:
    op.add_column("projects", sa.Column("land_price_wan", sa.Float))
    op.drop_constraint("ck_protected_areas_category", "protected_areas", type_="check")
    op.create_check_constraint("ck_protected_areas_category", "protected_areas", f"category IN ({CATEGORIES_AFTER})")
    op.create_table(
        "review_overrides",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False, index=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("conclusion", sa.String(20), nullable=False),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("reasons", JSONB, nullable=False, server_default="[]"),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("length(btrim(reason)) > 0", name="ck_review_overrides_reason"),
        sa.CheckConstraint("to_status IN ('approved','under_construction','completed')",
                           name="ck_review_overrides_status"),
    )
    op.execute(LOCK_FUNCTION)
    op.execute("CREATE TRIGGER trg_review_overrides_locked BEFORE UPDATE OR DELETE ON review_overrides "
               "FOR EACH ROW EXECUTE FUNCTION review_overrides_locked()")
    op.create_table(
        "review_gate_queue",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("project_id", sa.Integer, nullable=False, index=True),
        sa.Column("project_version", sa.Integer, nullable=False),
        sa.Column("from_status", sa.String(20)),
        sa.Column("to_status", sa.String(20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.execute(QUEUE_FUNCTION)
    op.execute(UNCHECKED_FUNCTION)
    op.execute("CREATE TRIGGER trg_projects_review_gate AFTER INSERT OR UPDATE ON projects "
               "FOR EACH ROW EXECUTE FUNCTION queue_review_gate()")
    op.execute("CREATE CONSTRAINT TRIGGER trg_review_gate_unchecked AFTER INSERT ON review_gate_queue "
               "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION review_gate_unchecked()")
    json_columns = ("feature_filter", "project_types")
    rules = sa.table("encroachment_rules", *(sa.column(c, JSONB) if c in json_columns else sa.column(c) for c in (
        "code", "name", "name_en", "layer", "feature_filter", "project_types", "relation", "distance_m",
        "min_overlap_m2", "min_overlap_pct", "severity", "message", "message_en", "basis", "basis_en", "active",
        "sort_order", "version", "created_by", "updated_by")))
    op.bulk_insert(rules, [
        {"code": code, "name": name, "name_en": name_en, "layer": "protected_areas", "feature_filter": filt,
         "project_types": types, "relation": "intersects", "distance_m": 0.0, "min_overlap_m2": 0.0,
         "min_overlap_pct": 0.0, "severity": "review", "message": msg, "message_en": msg_en, "basis": basis,
         "basis_en": basis_en, "active": True, "sort_order": order, "version": 1, "created_by": "migration",
         "updated_by": "migration"}
        for code, name, name_en, filt, types, order, msg, msg_en, basis, basis_en in NEW_RULES])


def downgrade() -> None:
    codes = ", ".join(f"'{r[0]}'" for r in NEW_RULES)
    op.execute(f"DELETE FROM encroachment_flag_events WHERE flag_id IN (SELECT f.id FROM encroachment_flags f "
               f"JOIN encroachment_rules r ON r.id = f.rule_id WHERE r.code IN ({codes}))")
    op.execute(f"DELETE FROM encroachment_flags WHERE rule_id IN (SELECT id FROM encroachment_rules "
               f"WHERE code IN ({codes}))")
    op.execute(f"DELETE FROM encroachment_rules WHERE code IN ({codes})")
    op.execute("DROP TRIGGER IF EXISTS trg_review_gate_unchecked ON review_gate_queue")
    op.execute("DROP TRIGGER IF EXISTS trg_projects_review_gate ON projects")
    op.execute("DROP FUNCTION IF EXISTS review_gate_unchecked()")
    op.execute("DROP FUNCTION IF EXISTS queue_review_gate()")
    op.drop_table("review_gate_queue")
    op.execute("DROP TRIGGER IF EXISTS trg_review_overrides_locked ON review_overrides")
    op.execute("DROP FUNCTION IF EXISTS review_overrides_locked()")
    op.drop_table("review_overrides")
    op.execute("UPDATE protected_areas SET category = 'livestock_ban' WHERE category = 'livestock_restrict'")
    op.drop_constraint("ck_protected_areas_category", "protected_areas", type_="check")
    op.create_check_constraint("ck_protected_areas_category", "protected_areas", f"category IN ({CATEGORIES_BEFORE})")
    op.drop_column("projects", "land_price_wan")

"""The layers the app serves: their fields, labels and default styles.

One :class:`Collection` per OGC API collection.  The catalogue drives the OGC
metadata, the SQL that builds items, the map's legend and popups and (later)
the editing forms, so a field is declared once.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Date, and_, bindparam, case, cast, func, select, text
from sqlalchemy.orm import aliased

from ... import access
from ...errors import NotFound
from ...models import Enterprise, LayerFeature, Project, ProtectedArea, RestorationCheck, UserLayer, WaterBody, Zone
from ...rules import planning as planning_rules
from ...rules import project_status
from ...rules.stages import PATH_LABELS, PATH_LABELS_EN, STAGE_COLOURS, STAGE_LABELS, STAGE_LABELS_EN
from .encroachment_collection import encroachments_collection


@dataclass(frozen=True)
class Field:
    """One attribute of a collection as users and clients see it."""

    name: str
    type: str  # string | integer | number | boolean | date | object
    label: str  # Chinese
    label_en: str
    required: bool = False
    choices: dict[str, tuple[str, str]] | None = None  # code -> (zh, en)
    expr: Callable[[], Any] | None = None  # computed, read-only SQL expression
    popup: bool = True
    writable: bool = True  # False: changed only by a dedicated use case (e.g. stage transitions)
    jsonb: bool = False  # stored in LayerFeature.properties: ``expr`` reads it, writes still allowed
    write_roles: tuple[str, ...] | None = None  # who may change it (None: the collection's write_roles)

    @property
    def editable(self) -> bool:
        """Tell whether generic feature writes may set this field."""
        return self.writable and (self.expr is None or self.jsonb)


@dataclass(frozen=True)
class Collection:
    """An OGC API collection backed by one model."""

    id: str
    title: str
    title_en: str
    description: str
    model: type
    geometry_type: str  # Point | MultiPolygon
    fields: tuple[Field, ...]
    style: dict = field(default_factory=dict)
    # Colour features by this field's value (legend entries per value).
    style_by: str | None = None
    style_colours: dict[str, str] = field(default_factory=dict)
    # Roles that may create/update/delete features through the OGC API.
    write_roles: tuple[str, ...] = access.PLANNERS
    # "columns": one model column per field; "jsonb": fields inside LayerFeature.properties.
    storage: str = "columns"
    layer_id: int | None = None
    label_field: str | None = "name"
    hidden: bool = False
    # The date property ``datetime`` filters on (OGC primary instant). Built-in layers name it; a planner-defined
    # layer uses its first date field. None on a built-in layer: ``datetime`` is refused (400).
    temporal: str | None = None
    # Finer rights (None: write_roles): who may create and delete features, who may change geometries.
    create_roles: tuple[str, ...] | None = None
    delete_roles: tuple[str, ...] | None = None
    geometry_roles: tuple[str, ...] | None = None

    def may_create(self, role: str | None) -> bool:
        """Tell whether ``role`` may create features of this collection."""
        return role in (self.create_roles if self.create_roles is not None else self.write_roles)

    def may_delete(self, role: str | None) -> bool:
        """Tell whether ``role`` may delete features of this collection."""
        return role in (self.delete_roles if self.delete_roles is not None else self.write_roles)

    def may_write_geometry(self, role: str | None) -> bool:
        """Tell whether ``role`` may change a feature's geometry."""
        return role in (self.geometry_roles if self.geometry_roles is not None else self.write_roles)

    def field_writable(self, name: str, role: str | None) -> bool:
        """Tell whether ``role`` may change field ``name`` through feature writes (the per-field rights table)."""
        f = self.field(name)
        if f is None or not f.editable:
            return False
        return role in (f.write_roles if f.write_roles is not None else self.write_roles)

    def read_only_fields(self, role: str | None) -> set[str]:
        """Return the names of the fields ``role`` may not change: the schema's ``readOnly`` for that role."""
        return {f.name for f in self.fields if not self.field_writable(f.name, role)}

    def scope(self) -> list:
        """Return the WHERE clauses selecting this collection's rows of its table."""
        if self.layer_id is not None:
            return [self.model.layer_id == self.layer_id]
        return []

    def field(self, name: str) -> Field | None:
        """Return the field called ``name`` or None."""
        return next((f for f in self.fields if f.name == name), None)

    def temporal_field(self) -> Field | None:
        """Return the date field that ``datetime`` filters on, or None when the collection has none."""
        if self.temporal:
            return self.field(self.temporal)
        if self.storage == "jsonb":
            return next((f for f in self.fields if f.type == "date"), None)
        return None


def _zone_code(model) -> Callable[[], Any]:
    """The code of the 片区 (top-level zone) the database assigned (migration 0020)."""
    return lambda: (select(Zone.code).where(Zone.id == model.top_zone_id).scalar_subquery())


def _parent_code():
    parent = aliased(Zone)
    return select(parent.code).where(parent.id == Zone.parent_id).scalar_subquery()


def _zone_group():
    """The code of the top-level zone a zone or sub-area belongs to (for colouring)."""
    parent = aliased(Zone)
    return func.coalesce(select(parent.code).where(parent.id == Zone.parent_id).scalar_subquery(), Zone.code)


def _zone_name(model) -> Callable[[], Any]:
    """The name of the 片区 (top-level zone) the database assigned (migration 0020)."""
    return lambda: (select(Zone.name).where(Zone.id == model.top_zone_id).scalar_subquery())


def _restoration_proposed():
    return (select(RestorationCheck.proposed).where(RestorationCheck.project_id == Project.id)
            .scalar_subquery())


def _restoration_needed():
    """The planner's decision, or while undecided the system's proposal (restoration_checks)."""
    return func.coalesce(Project.restoration_required, _restoration_proposed(), False)


def _restoration_due():
    due = cast(Project.completion_date + text("interval '1 year'"), Date)
    return case((and_(_restoration_needed(), Project.completion_date.is_not(None)), due), else_=None)


def _restoration_status():
    """The status today, as rules.planning.project_restoration_status computes it."""
    due, today = _restoration_due(), func.current_date()
    return case(
        (~_restoration_needed(), "not_required"),
        (and_(Project.restored_date.is_not(None), Project.restored_date <= today),
         case((and_(due.is_not(None), Project.restored_date > due), "restored_late"), else_="restored")),
        (Project.completion_date.is_(None) | (Project.completion_date > today), "no_completion"),
        (today > due, "overdue"),
        (due - today <= planning_rules.DUE_SOON_DAYS, "due_soon"),
        else_="pending")


def _remediation_due():
    """An enterprise site's 场地调查与修复 due date: the term's months after the basis stage was reached."""
    reached = Enterprise.stage_dates[Enterprise.remediation_basis].astext
    valid = and_(Enterprise.remediation_months.is_not(None), reached.op("~")(r"^\d{4}-\d{2}-\d{2}"))
    due = cast(cast(func.substr(reached, 1, 10), Date) + Enterprise.remediation_months * text("interval '1 month'"),
               Date)
    return case((valid, due), else_=None)


RESTORATION_STATUS_CHOICES = dict(planning_rules.RESTORATION_STATUSES)
REMEDIATION_BASIS_CHOICES = dict(planning_rules.REMEDIATION_BASES)

def _sub_area(model, column: str) -> Callable[[], Any]:
    """The code or name of the sub-area (功能区) the feature overlaps most, None when it lies in none."""
    return lambda: (select(getattr(Zone, column)).where(Zone.id == model.zone_id, Zone.level == "sub_area")
                    .scalar_subquery())


def zone_fields(model) -> tuple[Field, ...]:
    """The zone fields every feature layer carries: its 片区 and 功能区, both assigned by the database."""
    return (
        Field("zone_code", "string", "所在片区编码", "Zone code", expr=_zone_code(model), popup=False),
        Field("zone_name", "string", "所在片区", "Zone", expr=_zone_name(model)),
        Field("sub_area_code", "string", "所在功能区编码", "Sub-area code", expr=_sub_area(model, "code"),
              popup=False),
        Field("sub_area_name", "string", "所在功能区", "Sub-area", expr=_sub_area(model, "name")),
    )


PROJECT_TYPE_CHOICES = dict(project_status.PROJECT_TYPE_LABELS)
PROJECT_STATUS_CHOICES = dict(project_status.STATUS_LABELS)
PROTECTED_CATEGORY_CHOICES = {
    "green_heart": ("长株潭绿心", "Green heart"),
    "drinking_water": ("饮用水水源保护区", "Drinking-water source protection zone"),
    "livestock_ban": ("畜禽禁养区", "Livestock no-farming zone"),
    "forest_park": ("森林公园", "Forest park"),
    "livestock_restrict": ("畜禽限养区", "Livestock restricted-farming zone"),
}
PROTECTED_UNTIERED = ("livestock_ban", "livestock_restrict", "forest_park")
"""Categories without tiers: their legend entry is the category."""
PROTECTED_TIER_CHOICES = {
    "prohibited": ("禁止开发区", "Prohibited development"),
    "restricted": ("限制开发区", "Restricted development"),
    "controlled": ("控制建设区", "Controlled construction"),
    "level1": ("一级保护区", "Level 1"),
    "level2": ("二级保护区", "Level 2"),
}
WATER_KIND_CHOICES = {
    "river": ("河流", "River"),
    "harbour": ("港（河汊）", "Harbour (creek)"),
    "lake": ("湖泊", "Lake"),
    "reservoir": ("水库", "Reservoir"),
    "pond": ("池塘", "Pond"),
}
PARK_LEVEL_CHOICES = {
    "national": ("国家级开发区", "National development zone"),
    "provincial": ("省级开发区", "Provincial development zone"),
    "other": ("其他工业集中区", "Other industrial area"),
}
ZONE_LEVEL_CHOICES = {"zone": ("片区", "Zone"), "sub_area": ("功能区", "Sub-area")}
STAGE_CHOICES = {code: (STAGE_LABELS[code], STAGE_LABELS_EN[code]) for code in STAGE_LABELS}
PATH_CHOICES = {code: (PATH_LABELS[code], PATH_LABELS_EN[code]) for code in PATH_LABELS}


def _build() -> dict[str, Collection]:
    zones = Collection(
        id="zones", title="规划片区", title_en="Planning zones",
        description="清水塘、田心、九郎山三大片区及其功能分区", model=Zone,
        geometry_type="MultiPolygon",
        fields=(
            Field("code", "string", "编码", "Code", required=True),
            Field("name", "string", "名称", "Name", required=True),
            Field("name_en", "string", "英文名", "English name"),
            Field("level", "string", "层级", "Level", required=True, choices=ZONE_LEVEL_CHOICES),
            Field("kind", "string", "结构类别", "Structure"),
            Field("parent_code", "string", "上级片区", "Parent zone",
                  expr=_parent_code,
                  popup=False),
            Field("description", "string", "说明", "Description"),
            Field("zone_group", "string", "所属片区", "Zone", expr=_zone_group, popup=False,
                  choices={"QST": ("清水塘片区", "Qingshuitang"), "TX": ("田心片区", "Tianxin"),
                           "JLS": ("九郎山片区", "Jiulang Mountain")}),
        ),
        style={"color": "#5b6abf", "weight": 1.5, "fillOpacity": 0.08},
        style_by="zone_group",
        style_colours={"QST": "#c0504d", "TX": "#4f81bd", "JLS": "#9bbb59"},
    )
    # Rights per field: relocation officers record stage transitions (their own use case) and contacts;
    # identity, path, destination, planned dates, creating and deleting are for admins, geometry also planners.
    admin_only = access.ADMIN
    enterprises = Collection(
        id="enterprises", title="清水塘搬迁企业", title_en="Qingshuitang enterprises",
        description="清水塘老工业基地172家搬迁改造企业", model=Enterprise,
        geometry_type="Point",
        fields=(
            Field("name", "string", "企业名称", "Name", required=True, write_roles=admin_only),
            Field("credit_code", "string", "统一社会信用代码", "Credit code", write_roles=admin_only),
            Field("industry", "string", "行业", "Industry", write_roles=admin_only),
            Field("path", "string", "搬迁方式", "Path", required=True, choices=PATH_CHOICES, write_roles=admin_only),
            Field("stage", "string", "当前阶段", "Stage", required=True, choices=STAGE_CHOICES,
                  popup=False, writable=False),
            Field("stage_label", "string", "当前阶段", "Stage",
                  expr=lambda: case(STAGE_LABELS, value=Enterprise.stage)),
            Field("destination", "string", "搬迁去向", "Destination", write_roles=admin_only),
            Field("contact_person", "string", "联系人", "Contact person", write_roles=access.RELOCATION),
            Field("contact_phone", "string", "联系电话", "Contact phone", write_roles=access.RELOCATION),
            Field("land_area_m2", "number", "占地面积（m²）", "Land area (m²)", write_roles=admin_only),
            Field("employees", "integer", "职工人数", "Employees", write_roles=admin_only),
            Field("is_sample", "boolean", "示例数据", "Sample data", write_roles=admin_only),
            Field("stage_dates", "object", "阶段日期", "Stage dates", popup=False, writable=False),
            Field("planned_dates", "object", "计划日期", "Planned dates", popup=False, write_roles=admin_only),
            *zone_fields(Enterprise),
            Field("chimney_count", "integer", "烟囱数（座）", "Chimneys", write_roles=admin_only),
            Field("remediation_basis", "string", "场地修复期限起算", "Remediation term from",
                  choices=REMEDIATION_BASIS_CHOICES, popup=False, write_roles=access.RELOCATION),
            Field("remediation_months", "integer", "场地修复期限（月）", "Remediation term (months)", popup=False,
                  write_roles=access.RELOCATION),
            Field("remediation_due", "date", "场地修复期限", "Site remediation due", expr=_remediation_due),
        ),
        style={"radius": 5, "weight": 1, "color": "#333333", "fillOpacity": 0.9},
        style_by="stage", style_colours=STAGE_COLOURS,
        write_roles=access.EDITORS, create_roles=admin_only, delete_roles=admin_only,
        geometry_roles=access.PLANNERS,
    )
    protected = Collection(
        id="protected_areas", title="保护区", title_en="Protected areas",
        description="绿心分级管控区、饮用水水源保护区、畜禽禁养区与限养区、森林公园", model=ProtectedArea,
        geometry_type="MultiPolygon",
        fields=(
            Field("name", "string", "名称", "Name", required=True),
            Field("category", "string", "类别", "Category", required=True, choices=PROTECTED_CATEGORY_CHOICES),
            Field("tier", "string", "级别", "Tier", choices=PROTECTED_TIER_CHOICES),
            Field("approval_no", "string", "批复文号", "Approval document"),
            Field("effective_date", "date", "生效日期", "Effective date"),
            # What the map and the legends colour by: the tier, or the category of an area without tiers,
            # so 畜禽禁养区, 限养区 and 森林公园 are each named (not all "其他").
            Field("legend_class", "string", "图例类别", "Legend class", popup=False,
                  expr=lambda: func.coalesce(ProtectedArea.tier, ProtectedArea.category),
                  choices={**PROTECTED_TIER_CHOICES, **{k: v for k, v in PROTECTED_CATEGORY_CHOICES.items()
                                                         if k in PROTECTED_UNTIERED}}),
        ),
        style={"weight": 1, "fillOpacity": 0.35, "dashArray": "4 3"},
        temporal="effective_date",
        style_by="legend_class",
        style_colours={
            "prohibited": "#8b0000", "restricted": "#e06666", "controlled": "#f6b26b",
            "level1": "#1c4587", "level2": "#6fa8dc", "livestock_ban": "#8e7cc3", "livestock_restrict": "#c9b8e8",
            "forest_park": "#38761d", "": "#76a5af",
        },
    )
    water = Collection(
        id="water_bodies", title="水体", title_en="Water bodies",
        description="湘江、霞湾港、铜塘湾港、白石港、清水湖、水库与池塘", model=WaterBody,
        geometry_type="MultiPolygon",
        fields=(
            Field("name", "string", "名称", "Name", required=True),
            Field("kind", "string", "类型", "Kind", required=True, choices=WATER_KIND_CHOICES),
        ),
        style={"color": "#1f78b4", "weight": 1, "fillColor": "#a6cee3", "fillOpacity": 0.8},
    )
    projects = Collection(
        id="projects", title="建设项目", title_en="Construction projects",
        description="规划及在建项目用地范围", model=Project,
        geometry_type="MultiPolygon",
        fields=(
            Field("name", "string", "项目名称", "Name", required=True),
            Field("project_type", "string", "项目类型", "Type", required=True, choices=PROJECT_TYPE_CHOICES),
            Field("status", "string", "状态", "Status", required=True, choices=PROJECT_STATUS_CHOICES),
            Field("investment_wan", "number", "投资（万元）", "Investment (10k CNY)"),
            *zone_fields(Project),
            Field("park_level", "string", "园区级别", "Park level", choices=PARK_LEVEL_CHOICES),
            Field("floor_area_ratio", "number", "容积率", "Floor-area ratio"),
            Field("building_coverage", "number", "建筑系数", "Building coverage"),
            Field("annual_tax_wan", "number", "年税收（万元）", "Annual tax (10k CNY)"),
            Field("land_price_wan", "number", "土地成交价款（万元）", "Land price (10k CNY)"),
            Field("land_supplied_date", "date", "供地日期", "Land supplied"),
            Field("construction_started_date", "date", "开工日期", "Construction started"),
            Field("description", "string", "说明", "Description"),
            Field("completion_date", "date", "竣工日期", "Completion date"),
            Field("restoration_required", "boolean", "需生态修复", "Restoration required"),
            Field("restoration_proposed", "boolean", "系统建议生态修复", "Restoration proposed",
                  expr=_restoration_proposed, popup=False),
            Field("restoration_due", "date", "生态修复期限", "Restoration due", expr=_restoration_due),
            Field("restored_date", "date", "生态修复完成日期", "Restored on", writable=False),
            Field("restoration_status", "string", "生态修复状态", "Restoration status", expr=_restoration_status,
                  choices=RESTORATION_STATUS_CHOICES),
            Field("green_building", "boolean", "绿色建筑", "Green building"),
            Field("floor_area_m2", "number", "建筑面积（m²）", "Floor area (m²)"),
            Field("solar_mw", "number", "屋顶光伏装机（MW）", "Rooftop solar (MW)"),
        ),
        style={"color": "#7a3e9d", "weight": 2, "fillColor": "#c39bd3", "fillOpacity": 0.45},
        temporal="land_supplied_date",
    )
    encroachments = encroachments_collection(Collection, Field)
    return {c.id: c for c in (zones, enterprises, protected, water, projects, encroachments)}


_CATALOG: dict[str, Collection] | None = None
FIELD_TYPES = ("string", "integer", "number", "boolean", "date")


def collections() -> dict[str, Collection]:
    """Return the built-in collections by id (built once, on first use)."""
    global _CATALOG
    if _CATALOG is None:
        _CATALOG = _build()
    return _CATALOG


def user_layer_collection(layer) -> Collection:
    """Return the collection of a :class:`UserLayer` row; its fields live in JSONB."""
    def prop(name):
        return lambda: LayerFeature.properties[name]

    fields = tuple(
        Field(f["name"], f.get("type", "string"), f.get("label") or f["name"],
              f.get("label_en") or f.get("label") or f["name"], required=bool(f.get("required")),
              choices={c: (c, c) for c in f["choices"]} if f.get("choices") else None,
              expr=prop(f["name"]), jsonb=True)
        for f in layer.fields
    )
    style = {"color": "#3366cc", "weight": 2, "fillOpacity": 0.3}
    style.update({k: v for k, v in (layer.style or {}).items() if k != "label_field"})
    return Collection(
        id=layer.name, title=layer.title, title_en=layer.title_en or layer.title,
        description=layer.description or "", model=LayerFeature,
        geometry_type=layer.geometry_type, fields=fields, style=style, storage="jsonb",
        layer_id=layer.id, label_field=(layer.style or {}).get("label_field"), hidden=layer.hidden,
    )


def all_collections(session) -> dict[str, Collection]:
    """Return built-in collections followed by live user layers in their display order."""
    result = dict(collections())
    layers = session.scalars(select(UserLayer).where(UserLayer.deleted_at.is_(None))
                             .order_by(UserLayer.sort_order, UserLayer.id)).all()
    for layer in layers:
        if layer.name not in result:
            result[layer.name] = user_layer_collection(layer)
    return result


_LIVE_LAYER = select(UserLayer).where(UserLayer.name == bindparam("name"), UserLayer.deleted_at.is_(None))


def get(collection_id: str, session=None) -> Collection | None:
    """Return the collection ``collection_id`` (built-in, or a user layer when a session is given)."""
    found = collections().get(collection_id)
    if found is not None or session is None:
        return found
    layer = session.scalar(_LIVE_LAYER, {"name": collection_id})  # statement built once: every request asks
    return user_layer_collection(layer) if layer is not None else None


def require(collection_id: str, session) -> Collection:
    """Return the collection ``collection_id`` (user layers included), or raise 404 ``unknown_collection``."""
    found = get(collection_id, session)
    if found is None:
        raise NotFound(f"集合 {collection_id[:60]!r} 不存在", code="unknown_collection")
    return found

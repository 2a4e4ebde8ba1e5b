"""The layers the app serves: their fields, labels and default styles.

One :class:`Collection` per OGC API collection.  The catalogue drives the OGC
metadata, the SQL that builds items, the map's legend and popups and (later)
the editing forms, so a field is declared once.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import aliased

from ... import access
from ...errors import NotFound
from ...models import Enterprise, LayerFeature, Project, ProtectedArea, UserLayer, WaterBody, Zone
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

    def scope(self) -> list:
        """Return the WHERE clauses selecting this collection's rows of its table."""
        if self.layer_id is not None:
            return [self.model.layer_id == self.layer_id]
        return []

    def field(self, name: str) -> Field | None:
        """Return the field called ``name`` or None."""
        return next((f for f in self.fields if f.name == name), None)


def _zone_code(model) -> Callable[[], Any]:
    return lambda: (select(Zone.code).where(Zone.id == model.zone_id).scalar_subquery())


def _parent_code():
    parent = aliased(Zone)
    return select(parent.code).where(parent.id == Zone.parent_id).scalar_subquery()


def _zone_group():
    """The code of the top-level zone a zone or sub-area belongs to (for colouring)."""
    parent = aliased(Zone)
    return func.coalesce(select(parent.code).where(parent.id == Zone.parent_id).scalar_subquery(), Zone.code)


def _zone_name(model) -> Callable[[], Any]:
    return lambda: (select(Zone.name).where(Zone.id == model.zone_id).scalar_subquery())


PROJECT_TYPE_CHOICES = {
    "industrial": ("工业", "Industrial"),
    "commercial": ("商业", "Commercial"),
    "residential": ("居住", "Residential"),
    "infrastructure": ("基础设施", "Infrastructure"),
    "public": ("公共服务", "Public"),
    "tourism": ("旅游", "Tourism"),
    "livestock": ("畜禽养殖", "Livestock"),
    "logistics": ("物流", "Logistics"),
}
PROJECT_STATUS_CHOICES = {
    "planned": ("规划", "Planned"),
    "approved": ("已批复", "Approved"),
    "under_construction": ("在建", "Under construction"),
    "completed": ("已建成", "Completed"),
}
PROTECTED_CATEGORY_CHOICES = {
    "green_heart": ("长株潭绿心", "Green heart"),
    "drinking_water": ("饮用水水源保护区", "Drinking-water source protection zone"),
    "livestock_ban": ("畜禽禁养区", "Livestock no-farming zone"),
    "forest_park": ("森林公园", "Forest park"),
}
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
    enterprises = Collection(
        id="enterprises", title="清水塘搬迁企业", title_en="Qingshuitang enterprises",
        description="清水塘老工业基地172家搬迁改造企业", model=Enterprise,
        geometry_type="Point",
        fields=(
            Field("name", "string", "企业名称", "Name", required=True),
            Field("credit_code", "string", "统一社会信用代码", "Credit code"),
            Field("industry", "string", "行业", "Industry"),
            Field("path", "string", "搬迁方式", "Path", required=True, choices=PATH_CHOICES),
            Field("stage", "string", "当前阶段", "Stage", required=True, choices=STAGE_CHOICES,
                  popup=False, writable=False),
            Field("stage_label", "string", "当前阶段", "Stage",
                  expr=lambda: case(STAGE_LABELS, value=Enterprise.stage)),
            Field("destination", "string", "搬迁去向", "Destination"),
            Field("land_area_m2", "number", "占地面积（m²）", "Land area (m²)"),
            Field("employees", "integer", "职工人数", "Employees"),
            Field("is_sample", "boolean", "示例数据", "Sample data"),
            Field("stage_dates", "object", "阶段日期", "Stage dates", popup=False, writable=False),
            Field("planned_dates", "object", "计划日期", "Planned dates", popup=False),
            Field("zone_code", "string", "所在功能区", "Sub-area", expr=_zone_code(Enterprise), popup=False),
            Field("zone_name", "string", "所在功能区", "Sub-area", expr=_zone_name(Enterprise)),
        ),
        style={"radius": 5, "weight": 1, "color": "#333333", "fillOpacity": 0.9},
        style_by="stage", style_colours=STAGE_COLOURS,
        # Planners do not edit relocation records; the relocation office does.
        write_roles=access.RELOCATION,
    )
    protected = Collection(
        id="protected_areas", title="保护区", title_en="Protected areas",
        description="绿心分级管控区、饮用水水源保护区、畜禽禁养区、森林公园", model=ProtectedArea,
        geometry_type="MultiPolygon",
        fields=(
            Field("name", "string", "名称", "Name", required=True),
            Field("category", "string", "类别", "Category", required=True, choices=PROTECTED_CATEGORY_CHOICES),
            Field("tier", "string", "级别", "Tier", choices=PROTECTED_TIER_CHOICES),
            Field("approval_no", "string", "批复文号", "Approval document"),
            Field("effective_date", "date", "生效日期", "Effective date"),
        ),
        style={"weight": 1, "fillOpacity": 0.35, "dashArray": "4 3"},
        style_by="tier",
        style_colours={
            "prohibited": "#8b0000", "restricted": "#e06666", "controlled": "#f6b26b",
            "level1": "#1c4587", "level2": "#6fa8dc", "": "#76a5af",
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
            Field("zone_code", "string", "所在片区", "Zone", expr=_zone_code(Project), popup=False),
            Field("zone_name", "string", "所在片区", "Zone", expr=_zone_name(Project)),
            Field("park_level", "string", "园区级别", "Park level", choices=PARK_LEVEL_CHOICES),
            Field("floor_area_ratio", "number", "容积率", "Floor-area ratio"),
            Field("building_coverage", "number", "建筑系数", "Building coverage"),
            Field("annual_tax_wan", "number", "年税收（万元）", "Annual tax (10k CNY)"),
            Field("land_supplied_date", "date", "供地日期", "Land supplied"),
            Field("construction_started_date", "date", "开工日期", "Construction started"),
            Field("description", "string", "说明", "Description"),
        ),
        style={"color": "#7a3e9d", "weight": 2, "fillColor": "#c39bd3", "fillOpacity": 0.45},
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

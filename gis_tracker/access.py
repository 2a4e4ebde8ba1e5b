"""The declared access table: which role may call which route with which method.

Every route of the app must appear here; ``tests/integration/test_access_table.py``
enumerates ``app.url_map``, fails naming any route missing from the table,
and calls every route as every role to check the answer.  The table is
enforced on each request (after login, before the view): a role not listed
gets 403 ``role_forbidden``.  A route missing from the table still requires a
login and is logged as an error; it is not refused outright, so engineers
adding routes are not blocked mid-work, but the access test fails naming it,
so no route ships undeclared.

To declare a new route, add one line to :data:`ACCESS`::

    "myblueprint.view_name": {"GET": ANY_USER, "POST": EDITORS},

This module is also the one source of the roles and role groups: services
check a user's role against these groups (e.g. ``PLANNERS`` for rasters),
never against tuples of their own.  Finer checks inside the view or service
(e.g. a collection's ``write_roles``, a job's owner) come on top of this table.
"""
from __future__ import annotations

import logging

LOGGER = logging.getLogger(__name__)

ANONYMOUS = "anonymous"
ROLES = ("admin", "planner", "relocation_officer", "viewer")
"""Every role a user can have (``users.role``)."""

PUBLIC = (ANONYMOUS, *ROLES)
ANY_USER = ROLES
ADMIN = ("admin",)
# Feature writes: the route admits every editor; the collection's write_roles
# (services/features/catalog.py) then decide per layer, e.g. relocation officers edit enterprises only.
EDITORS = ("admin", "planner", "relocation_officer")
PLANNERS = ("admin", "planner")  # planning layers, user layers, rasters, population, flag reviews
LAYER_EDITORS = PLANNERS  # planner-defined layers (services/features/user_layers.py)
RELOCATION = ("admin", "relocation_officer")  # stage transitions and the ledger (services/relocation/transitions.py)

ACCESS: dict[str, dict[str, tuple[str, ...]]] = {
    # public: login, static files, health checks (nothing else is reachable anonymously)
    "auth.login": {"GET": PUBLIC, "POST": PUBLIC},
    "static": {"GET": PUBLIC},
    "health.healthz": {"GET": PUBLIC},
    "health.readyz": {"GET": PUBLIC},
    "health.favicon": {"GET": PUBLIC},
    # own account
    "auth.logout": {"POST": ANY_USER},
    "account.index": {"GET": ANY_USER},
    "account.change_password": {"POST": ANY_USER},
    "account.sign_out_everywhere": {"POST": ANY_USER},
    "account.new_token": {"POST": ANY_USER},
    "account.revoke_token": {"POST": ANY_USER},
    # map and OGC API – Features (read)
    "map.index": {"GET": ANY_USER},
    "ogc.landing": {"GET": ANY_USER},
    "ogc.conformance": {"GET": ANY_USER},
    "openapi.document": {"GET": ANY_USER},
    "ogc.collections": {"GET": ANY_USER},
    "ogc.collection": {"GET": ANY_USER},
    "ogc.items": {"GET": ANY_USER},
    "ogc.item": {"GET": ANY_USER},
    "ogc.queryables": {"GET": ANY_USER},
    "ogc.schema": {"GET": ANY_USER},
    "ogc_tiles.tile_matrix_sets": {"GET": ANY_USER},
    "ogc_tiles.tile_matrix_set": {"GET": ANY_USER},
    "ogc_tiles.tilesets": {"GET": ANY_USER},
    "ogc_tiles.tileset": {"GET": ANY_USER},
    "ogc_tiles.tile": {"GET": ANY_USER},
    "tiles.tile": {"GET": ANY_USER},
    "tiles.tilejson": {"GET": ANY_USER},
    # feature writes (OGC Part 4) and history
    "ogc_write.create_item": {"POST": EDITORS},
    "ogc_write.replace_item": {"PUT": EDITORS},
    "ogc_write.update_item": {"PATCH": EDITORS},
    "ogc_write.delete_item": {"DELETE": EDITORS},
    "ogc_write.split_item": {"POST": EDITORS},
    "feature_history.versions": {"GET": ANY_USER},
    "feature_history.restore_version": {"POST": EDITORS},
    "feature_history.restore_deleted": {"POST": ADMIN},
    "jobs.job_status": {"GET": ANY_USER},  # owner or admin, checked in services/platform/jobs.py
    "deleted_features.deleted": {"GET": ADMIN},
    "geometry.split": {"POST": EDITORS},  # previews only; saving is ogc_write.split_item
    "geometry.repair": {"POST": EDITORS},
    "user_layers.list_layers": {"GET": ANY_USER},
    "user_layers.create_layer": {"POST": LAYER_EDITORS},
    "user_layers.reorder_layers": {"PUT": LAYER_EDITORS},
    "user_layers.update_layer": {"PATCH": LAYER_EDITORS},
    # the map's search box: every layer the role may read (services/features/search.py applies the read rule)
    "search_api.search": {"GET": ANY_USER},
    # relocation tracking (Qingshuitang enterprises)
    "relocation.index": {"GET": ANY_USER},
    "relocation.dashboard": {"GET": ANY_USER},
    "relocation.detail": {"GET": ANY_USER},
    "relocation.ledger_page": {"GET": ANY_USER},
    "relocation.ledger_preview": {"POST": RELOCATION},
    "relocation.ledger_commit": {"POST": RELOCATION},
    "relocation_api.enterprises": {"GET": ANY_USER},
    "relocation_api.dashboard": {"GET": ANY_USER},
    "relocation_api.stage_map": {"GET": ANY_USER},
    "relocation_api.history": {"GET": ANY_USER},
    "relocation_api.download_attachment": {"GET": ANY_USER},
    "relocation_api.create_transition": {"POST": RELOCATION},
    "relocation_api.ledger_preview": {"POST": RELOCATION},
    "relocation_api.ledger_commit": {"POST": RELOCATION},
    "relocation_api.ledger_export": {"GET": ANY_USER},
    # administration
    "admin.index": {"GET": ADMIN},
    "admin.users": {"GET": ADMIN, "POST": ADMIN},
    "admin.user": {"GET": ADMIN},
    "admin.user_role": {"POST": ADMIN},
    "admin.user_active": {"POST": ADMIN},
    "admin.user_password": {"POST": ADMIN},
    "admin.user_sessions_end": {"POST": ADMIN},
    "admin.user_token": {"POST": ADMIN},
    "admin.tokens": {"GET": ADMIN},
    "admin.revoke_token": {"POST": ADMIN},
    "admin.roles": {"GET": ADMIN},
    "admin.audit": {"GET": ADMIN},
    "admin.audit_export": {"GET": ADMIN},
    "admin_api.basemap_check": {"POST": ADMIN},
    # exports: snapshots, interactive maps, meeting packs (every logged-in user may export and download)
    "exports.index": {"GET": ANY_USER},
    "exports_api.start_export": {"POST": ANY_USER},
    "exports_api.list_exports": {"GET": ANY_USER},
    "exports_api.get_export": {"GET": ANY_USER},
    "exports_api.download": {"GET": ANY_USER},
    # encroachment flags, rules and the 两型 review
    "flags.index": {"GET": ANY_USER},
    "flags.project": {"GET": ANY_USER},
    "flags.preview": {"GET": ANY_USER},
    "flags.issue": {"POST": PLANNERS},
    "flags.set_status": {"POST": PLANNERS},
    "flags.rules": {"GET": ANY_USER},
    "flags.update_rule": {"POST": ADMIN},
    "flags_api.project_flags": {"GET": ANY_USER},
    "flags_api.project_flags_geojson": {"GET": ANY_USER},
    "flags_api.flags": {"GET": ANY_USER},
    "flags_api.flag_history": {"GET": ANY_USER},
    "flags_api.flag_status": {"POST": PLANNERS},
    "flags_api.rules": {"GET": ANY_USER},
    "flags_api.create_rule": {"POST": ADMIN},
    "flags_api.update_rule": {"PATCH": ADMIN},
    "flags_api.retire_rule": {"DELETE": ADMIN},
    "flags_api.assessment": {"GET": ANY_USER},
    "flags_api.reports": {"GET": ANY_USER},
    "flags_api.issue_report": {"POST": PLANNERS},
    "flags_api.override_review": {"POST": ADMIN},
    "flags_api.review_register": {"GET": ANY_USER},
    "flags.override": {"POST": ADMIN},
    "flags.register_page": {"GET": ANY_USER},
    "flags.register_export": {"GET": ANY_USER},
    "flags_api.report_pdf": {"GET": ANY_USER},
    "flags_api.report_html": {"GET": ANY_USER},
    # data exchange: imports, layer exports, rasters, indicators
    "exchange.index": {"GET": ANY_USER},
    "exchange.upload": {"POST": EDITORS},
    "exchange.import_page": {"GET": ANY_USER},
    "exchange.import_options": {"POST": EDITORS},
    "exchange.commit": {"POST": EDITORS},
    "exchange.cancel": {"POST": EDITORS},
    "exchange.rasters_page": {"GET": ANY_USER},
    "exchange.upload_raster": {"POST": PLANNERS},
    "exchange.indicators_page": {"GET": ANY_USER},
    "exchange.population": {"POST": PLANNERS},
    "exchange_api.list_imports": {"GET": ANY_USER},
    "exchange_api.create_import": {"POST": EDITORS},
    "exchange_api.get_import": {"GET": ANY_USER},
    "exchange_api.import_options": {"POST": EDITORS},
    "exchange_api.commit_import": {"POST": EDITORS},
    "exchange_api.cancel_import": {"DELETE": EDITORS},
    "exchange_api.export_layer": {"GET": ANY_USER},
    "exchange_api.list_rasters": {"GET": ANY_USER},
    "exchange_api.upload_raster": {"POST": PLANNERS},
    "exchange_api.get_raster": {"GET": ANY_USER},
    "exchange_api.delete_raster": {"DELETE": ADMIN},
    "exchange_api.raster_overlay": {"GET": ANY_USER},
    "exchange_api.clip_raster": {"GET": ANY_USER},
    "exchange_api.indicators": {"GET": ANY_USER},
    "exchange_api.set_population": {"PUT": PLANNERS},
    # notifications: everyone reads and settles their own (services/accounts/notifications.py)
    "notifications.inbox": {"GET": ANY_USER},
    "notifications.read": {"POST": ANY_USER},
    "notifications.read_all": {"POST": ANY_USER},
    "notifications.settings": {"GET": ANY_USER},
    "notifications.save_settings": {"POST": ANY_USER},
    "notifications_api.list_notifications": {"GET": ANY_USER},
    "notifications_api.unread_count": {"GET": ANY_USER},
    "notifications_api.mark_read": {"POST": ANY_USER},
    "notifications_api.mark_all_read": {"POST": ANY_USER},
    "notifications_api.get_settings": {"GET": ANY_USER},
    "notifications_api.put_settings": {"PUT": ANY_USER},
    # following the plan: indicator register and index, then vs now, restoration (services/planning)
    "planning.indicators": {"GET": ANY_USER},
    "planning.enter_value": {"POST": PLANNERS},
    "planning.set_weight": {"POST": ADMIN},
    "planning.publish": {"POST": PLANNERS},
    "planning.compare_page": {"GET": ANY_USER},
    "planning.restoration_page": {"GET": ANY_USER},
    "planning.recheck": {"POST": PLANNERS},
    "planning.record": {"POST": PLANNERS},
    "planning.decide": {"POST": PLANNERS},
    "planning.site_term_form": {"POST": RELOCATION},
    "planning_api.indicators": {"GET": ANY_USER},
    "planning_api.indicator": {"GET": ANY_USER},
    "planning_api.update_indicator": {"PATCH": ADMIN},
    "planning_api.put_value": {"PUT": PLANNERS},
    "planning_api.delete_value": {"DELETE": PLANNERS},
    "planning_api.value_history": {"GET": ANY_USER},
    "planning_api.index_by_year": {"GET": ANY_USER},
    "planning_api.index_reports": {"GET": ANY_USER},
    "planning_api.publish_index": {"POST": PLANNERS},
    "planning_api.index_report_pdf": {"GET": ANY_USER},
    "planning_api.compare_dates": {"GET": ANY_USER},
    "planning_api.restoration_list": {"GET": ANY_USER},
    "planning_api.restoration_map": {"GET": ANY_USER},
    "planning_api.restoration_recheck": {"POST": PLANNERS},
    "planning_api.project_restoration": {"GET": ANY_USER},
    "planning_api.record_restoration": {"POST": PLANNERS},
    "planning_api.evidence_file": {"GET": ANY_USER},
    "planning_api.remediation_term": {"PUT": RELOCATION},
}

# Routes whose view answers 403 for some allowed roles depending on the object
# (e.g. a layer's write_roles); the access test then accepts 403 for them.
OBJECT_LEVEL: set[str] = {
    "ogc_write.create_item", "ogc_write.replace_item", "ogc_write.update_item",
    "ogc_write.delete_item", "ogc_write.split_item", "feature_history.restore_version",
    "exchange.commit", "exchange_api.commit_import",  # only onto layers the user may edit
}

_warned: set[tuple[str, str]] = set()


def allowed_roles(endpoint: str, method: str) -> tuple[str, ...] | None:
    """Return the roles allowed to call ``endpoint`` with ``method``; None when undeclared."""
    method = "GET" if method == "HEAD" else method
    return ACCESS.get(endpoint, {}).get(method)


def is_public(endpoint: str | None, method: str) -> bool:
    """Tell whether anonymous requests may reach ``endpoint``."""
    if endpoint is None:
        return True  # 404/405 without a route: nothing to protect
    if method == "OPTIONS":
        method = "GET"
    return ANONYMOUS in (allowed_roles(endpoint, method) or ())


def permits(endpoint: str, method: str, role: str) -> bool:
    """Tell whether ``role`` may call ``endpoint`` with ``method`` (undeclared: any logged-in user)."""
    if method == "OPTIONS":
        return True
    roles = allowed_roles(endpoint, method)
    if roles is None:
        if (endpoint, method) not in _warned:
            _warned.add((endpoint, method))
            LOGGER.error("route %s %s is not in the access table (gis_tracker/access.py)", method, endpoint)
        return True
    return role in roles


def table_rows() -> list[tuple[str, str, tuple[str, ...]]]:
    """Return (endpoint, method, roles) rows for the admin roles page."""
    return [(endpoint, method, roles) for endpoint, methods in sorted(ACCESS.items())
            for method, roles in sorted(methods.items())]

"""Shifeng District planning GIS: the Flask application factory."""
from __future__ import annotations

import logging

from flask import Flask

from . import cli, handlers, hosts, http_cache, i18n, parsing, security
from .api import admin as admin_api
from .api import deleted_features, feature_history, geometry, jobs, ogc, ogc_tiles, ogc_write, openapi, user_layers
from .api import exchange as exchange_api
from .api import exports as exports_api
from .api import flags as flags_api
from .api import notifications as notifications_api
from .api import planning as planning_api
from .api import relocation as relocation_api
from .api import search as search_api
from .api import tiles as tiles_api
from .config import PROJECT_ROOT, Config
from .db import db
from .services.accounts import notifications
from .services.encroachment import gate as review_gate
from .services.features import tiles
from .services.planning import restoration
from .services.platform import tile_seed
from .web import account, admin, auth, health
from .web import exchange as exchange_pages
from .web import exports as exports_pages
from .web import flags as flags_pages
from .web import map as map_page
from .web import notifications as notification_pages
from .web import planning as planning_pages
from .web import relocation as relocation_pages

BLUEPRINTS = (
    health.bp, auth.bp, account.bp, admin.bp, map_page.bp,  # pages: login, own account, administration, map
    ogc.bp, ogc_write.bp, ogc_tiles.bp, feature_history.bp, tiles_api.bp, openapi.bp, jobs.bp,  # OGC API, tiles, jobs
    geometry.bp, deleted_features.bp, user_layers.bp, admin_api.bp,  # map editing, administration
    search_api.bp,  # the map's search box
    relocation_api.bp, relocation_pages.bp,  # relocation tracking
    exports_api.bp, exports_pages.bp,  # snapshots, interactive maps, meeting packs
    flags_api.bp, flags_pages.bp,  # encroachment flags and the 两型 review
    exchange_api.bp, exchange_pages.bp,  # data exchange: imports, exports, rasters, indicators
    notifications_api.bp, notification_pages.bp,  # notifications: the bell, the inbox, settings
    planning_api.bp, planning_pages.bp,  # following the plan: indicators and index, then vs now, restoration
)


def create_app(config: object | None = None) -> Flask:
    """Create the app: load config, bind subsystems, register blueprints and the CLI."""
    app = hosts.App(  # absolute links from EXTERNAL_URL (gis_tracker/hosts.py)
        __name__,
        static_folder=str(PROJECT_ROOT / "static"),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.config.from_object(config or Config())
    app.json.ensure_ascii = False  # JSON errors stay readable Chinese, not \uXXXX escapes
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)

    hosts.init_app(app)  # unknown Host → 400; EXTERNAL_URL checked
    db.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    handlers.init_app(app)
    http_cache.init_app(app)
    parsing.init_app(app)  # strict <int:…> in routes: before the blueprints add theirs
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
    tiles.register_hooks()  # cached tiles follow every write
    tile_seed.register_hooks()  # ... and a big layer's low zooms are rendered again in the background
    review_gate.init_app(app)  # every project write is re-checked, then held to its 两型审查
    restoration.init_app(app)  # and its restoration proposal (water, protected areas, steep slopes) refreshed
    notifications.init_app(app)  # immediate e-mail after the commit that stored the notices
    cli.init_app(app)
    return app

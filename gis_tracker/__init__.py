"""Shifeng District planning GIS: the Flask application factory."""
from __future__ import annotations

import logging

from flask import Flask

from .config import PROJECT_ROOT, Config


def create_app(config: object | None = None) -> Flask:
    """Create the app: load config, bind subsystems, register blueprints and the CLI."""
    app = Flask(
        __name__,
        static_folder=str(PROJECT_ROOT / "static"),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.config.from_object(config or Config())
    app.json.ensure_ascii = False  # JSON errors stay readable Chinese, not \uXXXX escapes
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)

    from . import cli, handlers, http_cache, i18n, security
    from .db import db

    db.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    handlers.init_app(app)
    http_cache.init_app(app)

    from .api import feature_history, jobs, ogc, ogc_write, tiles as tiles_api
    from .web import auth, health, map as map_page

    for bp in (health.bp, auth.bp, map_page.bp, ogc.bp, ogc_write.bp, feature_history.bp, jobs.bp,
               tiles_api.bp):
        app.register_blueprint(bp)

    from .services.features import tiles

    tiles.register_hooks()
    from .api import deleted_features, geometry as geometry_api, user_layers as user_layers_api  # map editing
    for bp in (geometry_api.bp, deleted_features.bp, user_layers_api.bp):
        app.register_blueprint(bp)

    from .api import admin as admin_api, openapi
    from .web import account, admin  # security: own account, administration, OpenAPI document
    for bp in (account.bp, admin.bp, admin_api.bp, openapi.bp):
        app.register_blueprint(bp)

    from .api import relocation as relocation_api
    from .web import relocation as relocation_pages
    for bp in (relocation_api.bp, relocation_pages.bp):  # relocation tracking
        app.register_blueprint(bp)

    from .api import exports as exports_api
    from .web import exports as exports_pages
    for mod in (exports_api, exports_pages):  # snapshots, interactive maps, meeting packs
        app.register_blueprint(mod.bp)

    from .api import flags as flags_api
    from .services.encroachment import check as encroachment_check
    from .web import flags as flags_pages
    for mod in (flags_api, flags_pages):  # encroachment flags and the 两型 review
        app.register_blueprint(mod.bp)
    encroachment_check.init_app(app)

    from .api import exchange as exchange_api
    from .web import exchange as exchange_pages
    for mod in (exchange_api, exchange_pages):  # data exchange: imports, exports, rasters, indicators
        app.register_blueprint(mod.bp)

    cli.init_app(app)
    return app

"""Configuration read from the environment; nothing happens at import."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from . import storage
from .localdb import runtime_url_for

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _secret_key() -> str:
    """Return SECRET_KEY from the environment or a key kept in ``var/``.

    A key kept on disk survives restarts, so users stay logged in when the
    server is restarted.
    """
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = PROJECT_ROOT / "var" / "secret_key"
    path.parent.mkdir(exist_ok=True)
    if not path.exists():
        storage.write_private(path, secrets.token_hex(32).encode())  # 0600 from the start, never world-readable
    return path.read_text().strip()


class Config:
    """Settings for a running server, from environment variables."""

    def __init__(self) -> None:
        env = os.environ
        self.SECRET_KEY = _secret_key()
        # None means: use (and if needed start) the private cluster in var/pg.
        # DATABASE_URL is the restricted role the app runs as; migrations,
        # backup and restore use MIGRATION_DATABASE_URL (the owner role),
        # which defaults to DATABASE_URL for single-role deployments.
        self.DATABASE_URL = env.get("DATABASE_URL") or None
        self.MIGRATION_DATABASE_URL = env.get("MIGRATION_DATABASE_URL") or None
        self.STATEMENT_TIMEOUT_MS = int(env.get("STATEMENT_TIMEOUT_MS", "15000"))
        # Optional basemap: an XYZ tile URL template, e.g. Tianditu with a key.
        self.BASEMAP_URL = env.get("BASEMAP_URL", "")
        self.BASEMAP_ATTRIBUTION = env.get("BASEMAP_ATTRIBUTION", "")
        self.DEFAULT_LANGUAGE = env.get("DEFAULT_LANGUAGE", "zh")
        self.MAX_CONTENT_LENGTH = int(env.get("MAX_UPLOAD_MB", "200")) * 1024 * 1024
        self.OGC_MAX_LIMIT = int(env.get("OGC_MAX_LIMIT", "10000"))
        self.OGC_DEFAULT_LIMIT = int(env.get("OGC_DEFAULT_LIMIT", "100"))
        # Map: layers with more features than this load by the visible extent, at most MAP_VIEW_LIMIT at a time.
        self.MAP_BBOX_THRESHOLD = int(env.get("MAP_BBOX_THRESHOLD", "2000"))
        self.MAP_VIEW_LIMIT = int(env.get("MAP_VIEW_LIMIT", "5000"))
        self.DATA_DIR = Path(env.get("DATA_DIR", PROJECT_ROOT / "var" / "files"))
        self.EXPORT_DIR = Path(env.get("EXPORT_DIR", PROJECT_ROOT / "var" / "exports"))  # export files, kept
        # Data exchange: stored rasters (COG), import scratch space, limits of the isolated parser.
        self.RASTER_DIR = Path(env.get("RASTER_DIR", self.DATA_DIR.parent / "rasters"))
        self.IMPORT_DIR = Path(env.get("IMPORT_DIR", self.DATA_DIR.parent / "imports"))
        self.PARSE_TIMEOUT_S = int(env.get("PARSE_TIMEOUT_S", "120"))
        self.PARSE_MEMORY_MB = int(env.get("PARSE_MEMORY_MB", "1536"))
        self.IMPORT_INLINE_FEATURES = int(env.get("IMPORT_INLINE_FEATURES", "2000"))
        # Previews nobody committed or cancelled: their files go after this many hours.
        self.IMPORT_PREVIEW_HOURS = float(env.get("IMPORT_PREVIEW_HOURS", "72"))
        self.MAX_ATTACHMENT_MB = int(env.get("MAX_ATTACHMENT_MB", "20"))  # per relocation attachment
        # Vector tiles: after an import into a layer of TILE_SEED_MIN_FEATURES+ features, or an edit that
        # dropped TILE_SEED_MIN_BYTES+ of cached tiles, a background job renders TILE_SEED_ZOOMS again.
        self.TILE_SEED_ZOOMS = env.get("TILE_SEED_ZOOMS", "8-13")  # empty: no pre-rendering
        self.TILE_SEED_MIN_FEATURES = int(env.get("TILE_SEED_MIN_FEATURES", "5000"))
        self.TILE_SEED_MIN_BYTES = int(env.get("TILE_SEED_MIN_BYTES", str(256 * 1024)))
        self.TILE_SEED_MAX_TILES = int(env.get("TILE_SEED_MAX_TILES", "2000"))
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = env.get("SESSION_COOKIE_SECURE", "0") == "1"
        # Browser sessions live on the server (browser_sessions): they end after this long unused, and
        # this long after the login whatever the activity (OWASP: 15–30 min idle, a working day absolute).
        self.SESSION_IDLE_MINUTES = float(env.get("SESSION_IDLE_MINUTES", "30"))
        self.SESSION_ABSOLUTE_HOURS = float(env.get("SESSION_ABSOLUTE_HOURS", "8"))
        # The address users reach the app at: every absolute link is built from it (gis_tracker/hosts.py).
        self.EXTERNAL_URL = env.get("EXTERNAL_URL", "").strip()
        # Host names a request may carry (comma-separated; ".example.org" admits subdomains); others get 400.
        # Unset: EXTERNAL_URL's host, localhost, 127.0.0.1 and this machine's names and addresses.
        self.TRUSTED_HOSTS = [h.strip() for h in env.get("TRUSTED_HOSTS", "").split(",") if h.strip()] or None
        # Number of reverse proxies (nginx) in front of the app whose
        # X-Forwarded-For/-Proto/-Host headers are trusted (0: none).
        self.TRUSTED_PROXIES = int(env.get("TRUSTED_PROXIES", "0"))
        # Login throttling: failures per account or per address within the window.
        self.LOGIN_MAX_FAILURES = int(env.get("LOGIN_MAX_FAILURES", "5"))
        self.LOGIN_WINDOW_SECONDS = int(env.get("LOGIN_WINDOW_SECONDS", "60"))
        # Web origins (comma-separated, e.g. https://maps.example.org; "*" for any, never with
        # credentials) whose pages may call the API from the browser. Empty: none.
        self.CORS_ORIGINS = env.get("CORS_ORIGINS", "")
        # Hosts (names or IP networks, comma-separated) the server may fetch from.
        self.OUTBOUND_ALLOWLIST = env.get("OUTBOUND_ALLOWLIST", "")
        # Notifications by e-mail (none unless SMTP_HOST is set): the intranet's mail relay.
        self.SMTP_HOST = env.get("SMTP_HOST", "")
        self.SMTP_PORT = int(env.get("SMTP_PORT", "25"))
        self.SMTP_SECURITY = env.get("SMTP_SECURITY", "none")  # none | starttls | ssl
        self.SMTP_USERNAME = env.get("SMTP_USERNAME", "")
        self.SMTP_PASSWORD = env.get("SMTP_PASSWORD", "")
        self.SMTP_TIMEOUT_S = float(env.get("SMTP_TIMEOUT_S", "10"))
        self.MAIL_FROM = env.get("MAIL_FROM", "shifeng-gis@localhost")
        self.APP_BASE_URL = env.get("APP_BASE_URL", "")  # e.g. http://gis.shifeng.gov.local, for links in e-mail
        # Ecological restoration is proposed for projects on slopes steeper than this (degrees, from the DEM).
        self.RESTORATION_SLOPE_DEG = float(env.get("RESTORATION_SLOPE_DEG", "25"))
        self.TESTING = False


class TestConfig(Config):
    """Settings for the test suite: the throwaway database from TEST_DATABASE_URL."""

    __test__ = False  # not a pytest test class

    def __init__(self, database_url: str) -> None:
        super().__init__()
        # ``database_url`` is the owner of the test database; in the private
        # cluster the app itself runs as the restricted role, as in production.
        self.MIGRATION_DATABASE_URL = database_url
        self.DATABASE_URL = runtime_url_for(database_url) or database_url
        self.TESTING = True
        # No background tile rendering behind the tests' backs (tests/integration/test_tile_seed.py turns it on).
        self.TILE_SEED_ZOOMS = ""

"""Log a Flask test client in and drive the import API the way the browser does."""
from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

from sqlalchemy import text

PASSWORD = "test-password-1"


CSRF_IN_PAGE = re.compile(r'name="csrf-token" content="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token_of(client, page: str = "/login") -> str:
    """Return the CSRF token a page gives this client's browser session (as a browser reads it from the form).

    The token is not in the cookie (the cookie carries only the session id); any page rendering a form
    has it, and the login page is there whether the client is logged in or not.
    """
    html = client.get(page).get_data(as_text=True)
    found = CSRF_IN_PAGE.search(html)
    assert found, f"no CSRF token on {page}"
    return found.group(1) or found.group(2)


def login(client, role: str, password: str = PASSWORD):
    """Log ``client`` in as the test user of ``role`` and return it."""
    resp = client.post("/login", data={"username": role, "password": password, "csrf_token": csrf_token_of(client)})
    assert resp.status_code == 302, resp.data
    return client


def upload(client, headers: dict, path: Path, **form):
    """POST a file to /api/imports and return the response."""
    data = {k: v for k, v in form.items() if v is not None}
    with open(path, "rb") as fh:
        data["file"] = (io.BytesIO(fh.read()), path.name)
    return client.post("/api/imports", data=data, headers=headers, content_type="multipart/form-data")


def commit(client, headers: dict, import_id: int, body: dict):
    """Commit an import with a JSON body."""
    return client.post(f"/api/imports/{import_id}/commit", data=json.dumps(body), headers=headers,
                       content_type="application/json")


@contextlib.contextmanager
def sandbox(app, tmp_path_factory, load_rasters: bool = False):
    """Private import/raster directories; afterwards retire the layers, projects and rasters the tests made.

    The test database is shared by the whole session: other tests expect only the built-in collections
    and load the sample rasters themselves.
    """
    from gis_tracker.db import db
    from gis_tracker.services.exchange import rasters

    old = {k: app.config[k] for k in ("IMPORT_DIR", "RASTER_DIR")}
    app.config["IMPORT_DIR"] = tmp_path_factory.mktemp("imports")
    app.config["RASTER_DIR"] = tmp_path_factory.mktemp("rasters")
    with app.app_context():
        marks = {t: db.session.scalar(text(f"SELECT coalesce(max(id), 0) FROM {t}"))
                 for t in ("user_layers", "projects", "rasters")}
        if load_rasters:
            rasters.load_samples(db.session)
        db.session.close()
    try:
        yield
    finally:
        with app.app_context():
            for table in ("user_layers", "projects"):
                db.session.execute(text(f"UPDATE {table} SET deleted_at = now(), deleted_by = 'tests' "
                                        f"WHERE id > :mark AND deleted_at IS NULL"), {"mark": marks[table]})
            db.session.execute(text("DELETE FROM rasters WHERE id > :mark"), {"mark": marks["rasters"]})
            db.session.commit()
        app.config.update(old)

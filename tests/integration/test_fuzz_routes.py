"""Property: whatever a request carries, no route answers 5xx, and a refused request stores nothing.

Hypothesis generates path values, query parameters and bodies (JSON, broken JSON, forms, small files)
from strings, numbers and unicode — Arabic-Indic and full-width digits, numbers past bigint, NUL,
trailing newlines, lone surrogates, markup, SQL — and sends them to every route of the app, every
method, as a logged-in admin (so the access table lets the request reach the view) with the CSRF token.

For every request: the status is below 500; and when it is 4xx, no table changed (row counts and the
newest ``xmin`` per table, read as the owner; session bookkeeping and login attempts, which are
recorded for refused logins by design, are left out).  The run has its own database (the fuzzer
changes users, layers and imports) and runs background jobs inline, so nothing writes behind its back.
Bounded: a few examples per route and method, derandomised (the same examples every run).
"""
from __future__ import annotations

import io
import json
import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from gis_tracker import create_app, localdb
from gis_tracker.config import TestConfig
from gis_tracker.db import db
from gis_tracker.services.accounts import users
from gis_tracker.services.platform import migrations, sample_data
from tests.support.clients import csrf_token_of, login

PASSWORD = "fuzz-password-1"
NOT_COMPARED = {"browser_sessions", "login_attempts", "spatial_ref_sys", "alembic_version"}
ENDS_OWN_SESSION = {"auth.logout", "account.sign_out_everywhere"}
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))  # more for a longer hunt, e.g. FUZZ_EXAMPLES=50
RANDOM = os.environ.get("FUZZ_RANDOM") == "1"  # new examples each run (the suite itself runs the same ones)

NASTY = ["", " ", "0", "-1", "1", "2", "007", "2147483647", "2147483648", "9223372036854775807",
         "9223372036854775808", "9" * 40, "²", "١", "١٢", "۳", "１", "１２", "𝟗", "1\n", "a\n", "roads\n", "\n",
         "\t", "\r", "%", "%00", "\x00", "a\x00b", "nan", "NaN", "inf", "-inf", "1e309", "-1e309", "1.5", "-0",
         "+1", "0x10", "1_0", "true", "false", "null", "[]", "{}", "*", "'", '"', "'; DROP TABLE users; --",
         "<script>alert(1)</script>", "<b>x</b>", "$\\frac{1}{0}$", "=HYPERLINK(\"http://x\")", "@SUM(1)",
         "../../etc/passwd", "C:\\x", "x" * 300, "标" * 100, "zones", "projects", "enterprises", "EPSG:4326",
         "EPSG:4547", "EPSG:99999", "2020-01-01", "2020-13-40", "９９９９-01-01", "113.1,27.9,113.2,28.0",
         "-200,-100,200,100", "1,2,3", "csv", "xlsx", "html", "json", "png", "pdf", "new", "admin", "viewer",
         "assessment", "close", "relocate", "open", "cleared", "high", "-name", "name,-name", "\u202e", "\ufeff"]
NAMES = ["limit", "offset", "bbox", "bbox-crs", "crs", "f", "sortby", "datetime", "lang", "format", "as_of", "page",
         "per_page", "q", "zone", "industry", "path", "stage", "overdue", "sort", "desc", "include_cleared",
         "severity", "status", "user", "object_type", "object_id", "action", "from", "to", "next", "error",
         "landcover", "dem", "target", "layers", "layer", "name", "title", "kind", "scheme", "population", "year",
         "version", "reason", "destination", "relation", "distance_m", "min_overlap_pct", "project_types",
         "field_count", "repair", "role", "active", "password", "username", "display_name", "token", "back",
         "to_stage", "date", "note", "override", "properties", "geometry", "type", "parts", "fields", "style",
         "hidden", "order", "mapping", "encoding", "x_field", "y_field", "wkt_field", "employees", "investment_wan",
         "credit_code", "project_type", "source_0", "name_0", "keep_0", "map_0", "type_0", "dpi", "paper"]

text_value = st.one_of(st.sampled_from(NASTY), st.text(max_size=12),
                       st.integers(-2**70, 2**70).map(str), st.floats().map(repr))
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(), text_value)
json_value = st.recursive(json_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(st.sampled_from(NAMES), st.text(max_size=6)), inner,
                                                 max_size=5)), max_leaves=12)
query = st.dictionaries(st.one_of(st.sampled_from(NAMES), st.text(min_size=1, max_size=8)), text_value, max_size=4)
form = st.dictionaries(st.sampled_from(NAMES), text_value, max_size=6)
raw_json = st.sampled_from(['{"properties": {"name": "\\ud800"}}', '{"name": "\\u0000"}', '{"a": 1e999}',
                            "[" * 2000, '{"a":', "NaN", '{"type": "Feature", "geometry": {"type": "Point", '
                            '"coordinates": [1e400, "x"]}, "properties": {}}', "\xff\xfe", ""])
body = st.one_of(st.none(), json_value.map(lambda v: ("json", v)), raw_json.map(lambda v: ("raw", v)),
                 form.map(lambda v: ("form", v)),
                 st.tuples(form, st.binary(max_size=64), st.sampled_from(["a.zip", "a.csv", "a.tif", "a.xlsx",
                                                                          "a.geojson", "a.kml", "x", "../a.gpkg"]))
                 .map(lambda v: ("file", v)))
if_match = st.sampled_from([None, "*", '"zones-1-v1"', '"enterprises-1-v1"', '"x"', "", "W/\"a\"", "a" * 300])


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("the route fuzzer needs a database of its own in the private cluster (TEST_DATABASE_URL given)")
    name = f"shifeng_test_fuzz_{os.getpid()}"
    url = localdb.create_database(name)
    config = TestConfig(url)
    config.JOBS_INLINE = True  # nothing may write behind the fuzzer's back
    for key in ("DATA_DIR", "EXPORT_DIR", "RASTER_DIR", "IMPORT_DIR"):
        setattr(config, key, tmp_path_factory.mktemp(key.lower()))
    app = create_app(config)
    with app.app_context():
        migrations.upgrade(db.migration_engine, app_role=db.app_role)
        sample_data.load(db.session)
        fuzzer = users.create_user(db.session, "fuzzer", "admin", PASSWORD)
        app.config["FUZZER_ID"] = fuzzer.id
        for role in ("planner", "viewer"):
            users.create_user(db.session, role, role, PASSWORD)
        db.session.close()
    owner = create_engine(app.config["MIGRATION_DATABASE_URL"], poolclass=NullPool)
    app.config["FUZZ_OWNER"] = owner.connect().execution_options(isolation_level="AUTOCOMMIT")
    yield app
    app.config["FUZZ_OWNER"].close()
    owner.dispose()
    app.extensions["db_engine"].dispose()
    localdb.drop_database(name)


class Fuzzer:
    """The logged-in admin browser the fuzz requests come from (logged in again when a request ended it)."""

    def __init__(self, app) -> None:
        self.app = app
        self.client = None
        self.token = None
        self.tables = app.config["FUZZ_OWNER"].execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).scalars().all()
        self.tables = [t for t in self.tables if t not in NOT_COMPARED]
        self.fingerprint_sql = text(" UNION ALL ".join(
            f"SELECT '{t}', count(*), coalesce(max(xmin::text::bigint), 0) FROM \"{t}\"" for t in self.tables))
        self.log_in()

    def log_in(self) -> None:
        self.client = login(self.app.test_client(), "fuzzer", PASSWORD)
        self.token = csrf_token_of(self.client, "/account")

    def fingerprint(self) -> dict:
        return {t: (n, x) for t, n, x in self.app.config["FUZZ_OWNER"].execute(self.fingerprint_sql)}


@pytest.fixture(scope="module")
def fuzzer(fuzz_app):
    return Fuzzer(fuzz_app)


def _routes(app) -> list[tuple[str, str, str]]:
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, method, rule.rule))
    return sorted(out)


def _all_routes():
    app = create_app(TestConfig("postgresql+psycopg2://nobody@127.0.0.1:1/none"))
    try:
        return _routes(app)
    finally:
        app.extensions["db_engine"].dispose()


ROUTES = _all_routes()
CONVERTER = re.compile(r"<(?:([a-z]+)(?:\([^)]*\))?:)?([a-zA-Z_]+)>")


def _path_value(converter: str | None, name: str, fuzzer_id: int):
    if converter == "int":
        values = st.one_of(st.integers(0, 40), st.integers(0, 2**80), st.sampled_from([2**31 - 1, 2**31, 2**63]))
        if name == "user_id":
            values = values.filter(lambda v: v != fuzzer_id)  # the fuzzer keeps its own account
        return values.map(str)
    known = {"collection_id": ["zones", "projects", "enterprises", "protected_areas", "water_bodies"],
             "feature_id": ["1", "2", "3"], "name": ["small_dem", "dem", "x"], "code": ["QST", "TX", "JLS"]}
    return st.one_of(st.sampled_from(known.get(name, ["1"])), text_value).filter(lambda v: v and "/" not in v)


def _request(fuzzer: Fuzzer, method: str, url: str, params: dict, payload, etag):
    headers = {"X-CSRFToken": fuzzer.token}
    if etag is not None:
        headers["If-Match"] = etag
    kwargs = {"query_string": params, "headers": headers}
    if payload is not None:
        kind, value = payload
        if kind == "json":
            kwargs["data"], kwargs["content_type"] = json.dumps(value), "application/json"
        elif kind == "raw":
            kwargs["data"], kwargs["content_type"] = value.encode("utf-8", "surrogatepass"), "application/json"
        elif kind == "form":
            kwargs["data"] = {**value, "csrf_token": fuzzer.token}
        else:
            fields, data, filename = value
            kwargs["data"] = {**fields, "csrf_token": fuzzer.token, "file": (io.BytesIO(data), filename),
                              "attachments": (io.BytesIO(data), filename)}
            kwargs["content_type"] = "multipart/form-data"
    return fuzzer.client.open(url, method=method, **kwargs)


@pytest.mark.parametrize("endpoint, method, rule", ROUTES, ids=[f"{m} {e}" for e, m, _ in ROUTES])
def test_no_input_gives_a_server_error_or_stores_a_refused_request(fuzz_app, fuzzer, endpoint, method, rule):
    fuzzer_id = fuzz_app.config["FUZZER_ID"]
    parts = [(m.group(1), m.group(2)) for m in CONVERTER.finditer(rule)]
    path = st.fixed_dictionaries({name: _path_value(conv, name, fuzzer_id) for conv, name in parts})
    sends_body = method in ("POST", "PUT", "PATCH", "DELETE")

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=not RANDOM, database=None,
              suppress_health_check=list(HealthCheck))
    @given(values=path, params=query, payload=body if sends_body else st.none(), etag=if_match)
    def exercise(values, params, payload, etag):
        url = CONVERTER.sub(lambda m: _quote(values[m.group(2)]), rule)
        before = fuzzer.fingerprint()
        resp = _request(fuzzer, method, url, params, payload, etag)
        where = f"{method} {url} {params!r} {str(payload)[:200]} → {resp.status_code}"
        assert resp.status_code < 500, f"{where}: {resp.get_data(as_text=True)[:300]}"
        if resp.status_code >= 400:
            after = fuzzer.fingerprint()
            changed = sorted(t for t in after if after[t] != before.get(t))
            assert not changed, f"{where} was refused but changed {changed}"
        logged_out = resp.status_code == 401 or (resp.status_code == 302 and "/login" in resp.headers.get("Location", ""))
        if endpoint in ENDS_OWN_SESSION or logged_out:
            fuzzer.log_in()

    exercise()


def _quote(value: str) -> str:
    from urllib.parse import quote
    return quote(value, safe="")

"""API authentication every client can send (Bearer, or Basic with a token as password), token expiry, CORS."""
import base64
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from gis_tracker.db import db
from gis_tracker.models import ApiToken
from gis_tracker.services.accounts import users
from tests.support.clients import PASSWORD, csrf_token_of, login

URL = "/ogc/collections/enterprises/items?limit=1"


def _basic(username: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


@pytest.fixture()
def viewer_token(app):
    with app.app_context():
        token = users.issue_token(db.session, "viewer", "basic-tests", expires_on=date.today() + timedelta(days=30))
        db.session.close()
    return token


def test_basic_with_a_token_as_password_works_for_the_tokens_owner(client, viewer_token):
    assert client.get(URL, headers=_basic("viewer", viewer_token)).status_code == 200
    assert client.get(URL, headers=_basic("VIEWER", viewer_token)).status_code == 200  # usernames ignore case
    assert client.get(URL, headers={"Authorization": f"Bearer {viewer_token}"}).status_code == 200


def test_basic_never_accepts_the_account_password_nor_another_users_token(client, viewer_token):
    for headers in (_basic("viewer", PASSWORD), _basic("planner", viewer_token), _basic("viewer", ""),
                    {"Authorization": "Basic not-base64!"}, {"Authorization": "Basic " + base64.b64encode(
                        b"no-colon").decode()}, {"Authorization": "Bearer " + PASSWORD}):
        resp = client.get(URL, headers=headers)
        assert resp.status_code == 401, headers
        assert resp.get_json()["code"] == "unauthorized"


def test_401_challenges_bearer_and_basic(client):
    resp = client.get(URL)
    assert resp.status_code == 401
    challenge = resp.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="') and ', Basic realm="' in challenge
    # the map's own scripts (same-origin fetch) are not offered Basic: no browser password dialog over the map
    own = client.get(URL, headers={"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"})
    assert own.status_code == 401 and "Basic" not in own.headers["WWW-Authenticate"]
    assert client.get("/tiles/enterprises/14/13470/6850.mvt").headers["WWW-Authenticate"].count("realm") == 2


def test_expired_and_revoked_tokens_authenticate_no_one(app, client):
    with app.app_context():
        token = users.issue_token(db.session, "viewer", "soon", expires_on=date.today() + timedelta(days=2))
        row = db.session.scalar(select(ApiToken).where(ApiToken.prefix == token[:10]))
        assert row.expires_at > datetime.now(UTC) + timedelta(days=1)
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        db.session.commit()
        revoked = users.issue_token(db.session, "viewer", "revoked")
        users.revoke_token(db.session, db.session.scalar(select(ApiToken.id).where(
            ApiToken.prefix == revoked[:10])), users.find_user(db.session, "viewer"))
        db.session.close()
    for t in (token, revoked):
        assert client.get(URL, headers={"Authorization": f"Bearer {t}"}).status_code == 401
        assert client.get(URL, headers=_basic("viewer", t)).status_code == 401


def test_expiry_must_be_a_future_date_within_the_limit(app):
    from gis_tracker.errors import BadParameter

    with app.app_context():
        for bad in (date.today() - timedelta(days=1), date.today() + timedelta(days=users.MAX_TOKEN_DAYS + 2)):
            with pytest.raises(BadParameter):
                users.issue_token(db.session, "viewer", "bad", expires_on=bad)


def test_account_page_creates_a_token_with_an_expiry_and_revokes_it(app, client):
    login(client, "viewer")
    page = client.get("/account").get_data(as_text=True)
    assert 'name="expires_on"' in page and 'type="date"' in page
    csrf = csrf_token_of(client)
    day = (date.today() + timedelta(days=10)).isoformat()
    resp = client.post("/account/tokens", data={"name": "QGIS 笔记本", "expires_on": day, "csrf_token": csrf})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    token = html.split('id="new-token">')[1].split("<")[0]
    assert token.startswith("sf_") and day in html
    # the token works over Basic with the viewer's name, until revoked on the same page
    assert client.get(URL, headers=_basic("viewer", token)).status_code == 200
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.prefix == token[:10]))
        db.session.close()
    assert client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf}).status_code == 302
    assert client.get(URL, headers=_basic("viewer", token)).status_code == 401
    # a past date or none is refused with a readable message, and no token is made
    with app.app_context():
        before = len(users.list_tokens(db.session))
        db.session.close()
    for bad in ("", "yesterday", (date.today() - timedelta(days=1)).isoformat()):
        resp = client.post("/account/tokens", data={"name": "x", "expires_on": bad, "csrf_token": csrf})
        assert resp.status_code == 400 and 'class="error"' in resp.get_data(as_text=True)
    with app.app_context():
        assert len(users.list_tokens(db.session)) == before


def test_basic_credentials_cached_by_a_browser_cannot_write_from_another_site(client, viewer_token, app):
    """Browsers resend Basic credentials by themselves, so a cross-site browser write is refused (CSRF)."""
    with app.app_context():
        token = users.issue_token(db.session, "planner", "csrf")
        db.session.close()
    body = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [113.1, 27.9]}, "properties": {}}
    evil = {**_basic("planner", token), "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    resp = client.post("/ogc/collections/projects/items", json=body, headers=evil)
    assert resp.status_code == 403 and resp.get_json()["code"] == "csrf_failed"
    # QGIS/GDAL (no Origin) get past the CSRF check to the ordinary validation
    resp = client.post("/ogc/collections/projects/items", json=body, headers=_basic("planner", token))
    assert resp.status_code in (400, 422), resp.get_json()


def test_cors_is_off_by_default(client):
    resp = client.get(URL, headers={"Origin": "https://maps.example"})
    assert "Access-Control-Allow-Origin" not in resp.headers
    pre = client.options(URL, headers={"Origin": "https://maps.example", "Access-Control-Request-Method": "GET"})
    assert pre.status_code == 204 and "Access-Control-Allow-Origin" not in pre.headers


def test_cors_for_the_configured_origins(app, client, viewer_token):
    old = app.config.get("CORS_ORIGINS", "")
    app.config["CORS_ORIGINS"] = "https://maps.example, http://127.0.0.1:8080"
    try:
        pre = client.options("/ogc/collections/enterprises/items/1", headers={
            "Origin": "https://maps.example", "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization, if-match, content-crs"})
        assert pre.status_code == 204  # no credentials needed for a preflight
        assert pre.headers["Access-Control-Allow-Origin"] == "https://maps.example"
        assert "PUT" in pre.headers["Access-Control-Allow-Methods"]
        allowed = pre.headers["Access-Control-Allow-Headers"].lower()
        assert {"authorization", "if-match", "content-crs"} <= {h.strip() for h in allowed.split(",")}
        resp = client.get(URL, headers={"Origin": "https://maps.example", "Authorization": f"Bearer {viewer_token}"})
        assert resp.status_code == 200 and resp.headers["Access-Control-Allow-Origin"] == "https://maps.example"
        assert resp.headers["Access-Control-Allow-Credentials"] == "true"
        assert "ETag" in resp.headers["Access-Control-Expose-Headers"] and "Origin" in resp.headers["Vary"]
        denied = client.get(URL, headers={"Origin": "https://other.example", "Authorization": f"Bearer {viewer_token}"})
        assert "Access-Control-Allow-Origin" not in denied.headers
        unauth = client.get(URL, headers={"Origin": "https://maps.example"})
        assert unauth.status_code == 401 and unauth.headers["Access-Control-Allow-Origin"] == "https://maps.example"
        assert "Access-Control-Allow-Origin" not in client.get(
            "/login", headers={"Origin": "https://maps.example"}).headers  # pages are never shared
        app.config["CORS_ORIGINS"] = "*"
        anyone = client.get(URL, headers={"Origin": "https://x.example", "Authorization": f"Bearer {viewer_token}"})
        assert anyone.headers["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in anyone.headers  # never credentials for *
    finally:
        app.config["CORS_ORIGINS"] = old

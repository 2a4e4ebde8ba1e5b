"""Admin pages (users, roles, tokens, audit) and the user's own account page."""
import csv
import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from tests.factories import unique
from tests.support.clients import csrf_token_of, login

IN_A_MONTH = (date.today() + timedelta(days=30)).isoformat()  # the token form's expiry date (required)


def _csrf(client) -> str:
    return csrf_token_of(client)


def _post(client, url, **data):
    return client.post(url, data={"csrf_token": _csrf(client), **data})


def _login_as(app, username, password):
    client = app.test_client()
    client.get("/login")
    resp = _post(client, "/login", username=username, password=password)
    return client, resp


def _create_user(admin_client, role="viewer"):
    name = unique("u")
    resp = _post(admin_client, "/admin/users", username=name, role=role, password="initial-pass-1",
                 display_name="张三")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    user_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    return name, user_id


def test_admin_creates_a_user_who_can_log_in(app, admin_client):
    name, user_id = _create_user(admin_client)
    page = admin_client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert name in page and "张三" in page
    assert name in admin_client.get("/admin/users").get_data(as_text=True)
    _, resp = _login_as(app, name, "initial-pass-1")
    assert resp.status_code == 302


def test_admin_changes_role_and_the_user_gets_the_new_rights(app, admin_client):
    name, user_id = _create_user(admin_client, role="viewer")
    user, _ = _login_as(app, name, "initial-pass-1")
    assert user.get("/admin/users").status_code == 403
    assert _post(admin_client, f"/admin/users/{user_id}/role", role="admin").status_code == 302
    assert user.get("/admin/users").status_code == 200
    audit = admin_client.get(f"/admin/audit?object_type=user&object_id={user_id}").get_data(as_text=True)
    assert "change_role" in audit and "viewer" in audit


def test_deactivated_user_is_logged_out_and_cannot_log_in(app, admin_client):
    name, user_id = _create_user(admin_client)
    user, _ = _login_as(app, name, "initial-pass-1")
    assert user.get("/").status_code == 200
    assert _post(admin_client, f"/admin/users/{user_id}/active", active="0").status_code == 302
    assert user.get("/").status_code == 302  # session no longer valid
    _, resp = _login_as(app, name, "initial-pass-1")
    assert resp.status_code == 401


def test_admin_resets_a_password(app, admin_client):
    name, user_id = _create_user(admin_client)
    assert _post(admin_client, f"/admin/users/{user_id}/password", password="brand-new-pass").status_code == 302
    assert _login_as(app, name, "initial-pass-1")[1].status_code == 401
    assert _login_as(app, name, "brand-new-pass")[1].status_code == 302


def test_weak_password_is_refused_with_a_message(admin_client):
    _, user_id = _create_user(admin_client)
    resp = _post(admin_client, f"/admin/users/{user_id}/password", password="short")
    assert resp.status_code == 400
    assert "密码至少 8 位" in resp.get_data(as_text=True)


def test_the_last_admin_cannot_be_demoted_or_deactivated(app, admin_client, session):
    from gis_tracker.services.accounts import users
    admins = [u for u in users.list_users(session) if u.role == "admin" and u.is_active]
    for other in admins[1:]:  # leave exactly one active admin for this test
        if other.username != "admin":
            users.set_active(session, other.id, False, "test")
    admin_id = users.find_user(session, "admin").id
    try:
        resp = _post(admin_client, f"/admin/users/{admin_id}/role", role="viewer")
        assert resp.status_code == 409 and "至少需要保留一名" in resp.get_data(as_text=True)
        assert _post(admin_client, f"/admin/users/{admin_id}/active", active="0").status_code == 409
    finally:
        for other in admins[1:]:
            if other.username != "admin":
                users.set_active(session, other.id, True, "test")


def test_tokens_are_listed_per_user_and_revocable(app, admin_client):
    name, user_id = _create_user(admin_client, role="planner")
    page = _post(admin_client, f"/admin/users/{user_id}/tokens", name="QGIS", expires_on=IN_A_MONTH)
    html = page.get_data(as_text=True)
    token = html.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert token.startswith("sf_")
    api = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    assert api.get("/ogc/collections", headers=auth).status_code == 200
    listing = admin_client.get("/admin/tokens").get_data(as_text=True)
    assert name in listing and token[:10] in listing and token not in listing  # only the prefix is shown
    from gis_tracker.db import db
    from gis_tracker.services.accounts import users
    with app.app_context():
        token_id = users.list_tokens(db.session, user_id)[0].id
    assert _post(admin_client, f"/admin/tokens/{token_id}/revoke", back="user").status_code == 302
    resp = api.get("/ogc/collections", headers=auth)
    assert resp.status_code == 401 and resp.get_json()["code"] == "unauthorized"


def test_user_changes_own_password_and_manages_own_tokens(app, admin_client):
    name, _ = _create_user(admin_client, role="planner")
    user, _ = _login_as(app, name, "initial-pass-1")
    page = user.get("/account")
    assert page.status_code == 200 and name in page.get_data(as_text=True)
    wrong = _post(user, "/account/password", current_password="not-it-at-all", new_password="next-pass-22",
                  confirm_password="next-pass-22")
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.get_data(as_text=True)
    ok = _post(user, "/account/password", current_password="initial-pass-1", new_password="next-pass-22",
               confirm_password="next-pass-22")
    assert ok.status_code == 302
    assert user.get("/account").status_code == 200  # this session continues
    assert _login_as(app, name, "next-pass-22")[1].status_code == 302
    html = _post(user, "/account/tokens", name="mine", expires_on=IN_A_MONTH).get_data(as_text=True)
    assert 'id="new-token">sf_' in html


def test_a_user_cannot_revoke_someone_elses_token(app, api_token):
    from gis_tracker.db import db
    from gis_tracker.services.accounts import users
    with app.app_context():
        planner = users.find_user(db.session, "planner")
        token_id = users.list_tokens(db.session, planner.id)[0].id
    viewer = login(app.test_client(), "viewer")
    assert _post(viewer, f"/account/tokens/{token_id}/revoke").status_code == 404
    assert app.test_client().get("/ogc/collections",
                                 headers={"Authorization": f"Bearer {api_token}"}).status_code == 200


def test_audit_page_filters_and_exports(app, admin_client):
    name, user_id = _create_user(admin_client)
    page = admin_client.get(f"/admin/audit?user=admin&object_type=user&object_id={user_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "create" in html and name in html
    assert admin_client.get("/admin/audit?from=not-a-date").status_code == 400
    csv_resp = admin_client.get(f"/admin/audit/export?format=csv&object_type=user&object_id={user_id}")
    assert csv_resp.status_code == 200 and "attachment" in csv_resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(csv_resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["id", "at", "username", "action"]
    assert any(r[3] == "create" and name in r[7] for r in rows[1:])
    xlsx = admin_client.get(f"/admin/audit/export?format=xlsx&object_type=user&object_id={user_id}")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "id" and any(v[3] == "create" for v in values[1:])


def test_audit_export_neutralises_spreadsheet_formulas(app, admin_client, session):
    from gis_tracker.services.accounts import audit
    audit.record(session, username="=HYPERLINK(\"http://x\")", action="probe", object_type="formula_probe")
    session.commit()
    body = admin_client.get("/admin/audit/export?format=csv&object_type=formula_probe").get_data(as_text=True)
    assert "'=HYPERLINK" in body


@pytest.mark.parametrize("url", ["/admin/users", "/admin/tokens", "/admin/roles", "/admin/audit"])
def test_admin_pages_render(admin_client, url):
    resp = admin_client.get(url)
    assert resp.status_code == 200
    assert 'name="csrf_token"' in resp.get_data(as_text=True) or url in ("/admin/roles", "/admin/audit")


def test_roles_page_shows_the_access_table(admin_client):
    html = admin_client.get("/admin/roles").get_data(as_text=True)
    assert "admin.users" in html and "ogc.items" in html

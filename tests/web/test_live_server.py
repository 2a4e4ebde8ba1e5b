"""The live server is the production server, and it follows the configuration the tests set."""
from __future__ import annotations

from pathlib import Path

import requests


def test_the_live_server_is_gunicorn_with_the_deploy_configuration(live_server):
    resp = requests.get(live_server + "/login", timeout=10)
    assert resp.status_code == 200
    assert resp.headers.get("Server", "").startswith("gunicorn")  # not the development server


def test_config_changes_reach_the_live_server_and_are_undone(app, live_server, monkeypatch, tmp_path):
    def login_page() -> str:
        return requests.get(live_server + "/login", timeout=10).text

    assert "用户名" in login_page()
    monkeypatch.setitem(app.config, "DEFAULT_LANGUAGE", "en")  # a value
    monkeypatch.setitem(app.config, "EXPORT_DIR", tmp_path)  # a path
    assert "Username" in login_page() and "用户名" not in login_page()
    monkeypatch.undo()
    assert "用户名" in login_page()
    app.config["SOME_NEW_SETTING"] = Path("/nowhere")
    del app.config["SOME_NEW_SETTING"]  # added and removed again: nothing left behind
    assert "用户名" in login_page()

"""When PostgreSQL cannot be reached, users get 503 with a clear message, never a trace."""
import socket

import pytest

from gis_tracker import create_app
from gis_tracker.config import TestConfig


@pytest.fixture()
def unreachable_app():
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(TestConfig(f"postgresql+psycopg2://nobody:x@127.0.0.1:{port}/none"))
    yield app
    app.extensions["db_engine"].dispose()


def test_readyz_and_api_answer_503(unreachable_app):
    client = unreachable_app.test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["code"] == "database_unavailable"
    api = client.get("/ogc/collections", headers={"Authorization": "Bearer sf_x"})
    assert api.status_code == 503
    assert api.get_json()["code"] == "database_unavailable"
    assert api.headers["Retry-After"]
    page = client.get("/login")
    assert page.status_code == 200  # the login page itself needs no database
    body = client.post("/login", data={"username": "a", "password": "b"})
    assert body.status_code in (400, 503)
    assert "Traceback" not in body.get_data(as_text=True)

"""The OpenAPI document describes the API, and schemathesis finds no server error against it."""
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error


def test_openapi_document_covers_the_ogc_and_api_routes(app, client, api_token):
    resp = client.get("/ogc/openapi", headers={"Authorization": f"Bearer {api_token}"})
    assert resp.status_code == 200 and resp.mimetype == "application/vnd.oai.openapi+json"
    doc = resp.get_json()
    assert doc["openapi"].startswith("3.0")
    paths = doc["paths"]
    assert {"get", "post"} <= set(paths["/ogc/collections/{collection_id}/items"])
    assert {"get", "put", "patch", "delete"} <= set(paths["/ogc/collections/{collection_id}/items/{feature_id}"])
    expected = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith(("/api/", "/ogc"))}
    described = {p.replace("{", "<").replace("}", ">") for p in paths}
    missing = [r for r in expected
               if r.replace("int:", "").replace("path:", "") not in described]
    assert missing == []


def test_openapi_needs_a_login(client):
    assert client.get("/ogc/openapi").status_code == 401


def test_api_never_answers_with_a_server_error(app, live_server, api_token):
    """Every operation, a few generated requests each (schemathesis drives hypothesis; no pytest plugin)."""
    with app.app_context():
        from gis_tracker.api import openapi_spec
        document = openapi_spec.build()
    schema = schemathesis.openapi.from_dict(document)
    headers = {"Authorization": f"Bearer {api_token}"}
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(max_examples=5, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def exercise(case):
            response = case.call(base_url=live_server, headers=headers, timeout=60)
            case.validate_response(response, checks=[not_a_server_error])

        try:
            exercise()
        except Exception as exc:  # noqa: BLE001 - collect every failing operation, then report
            failures.append(f"{operation.label}: {str(exc)[:800]}")
    assert operations >= 10
    assert not failures, "\n\n".join(failures)

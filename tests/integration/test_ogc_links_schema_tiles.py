"""Links (self/alternate, feature links), the service-doc page, Part 5 schemas and OGC API – Tiles."""
import json
import re

import jsonschema_rs
import mapbox_vector_tile

from gis_tracker.services.features import catalog


def _rels(doc) -> dict:
    return {(link["rel"], link["type"]): link["href"] for link in doc["links"]}


def _walk_types(node, path=""):
    """Yield every JSON Schema "type" value in a document."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "type" and isinstance(v, str):
                yield path, v
            yield from _walk_types(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk_types(v, f"{path}/{i}")


def test_every_document_links_itself_and_its_html_alternate(client, headers):
    pages = ["/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/collections/zones",
             "/ogc/collections/zones/items?limit=2", "/ogc/collections/zones/queryables",
             "/ogc/collections/zones/schema"]
    first = client.get("/ogc/collections/zones/items?limit=1", headers=headers).get_json()["features"][0]
    pages.append(f"/ogc/collections/zones/items/{first['id']}")
    for page in pages:
        doc = client.get(page, headers=headers).get_json()
        rels = {link["rel"] for link in doc["links"]}
        assert {"self", "alternate"} <= rels, page
        self_link = next(link for link in doc["links"] if link["rel"] == "self")
        alternate = next(link for link in doc["links"] if link["rel"] == "alternate")
        assert self_link["href"].startswith("http://localhost/ogc") and alternate["type"] == "text/html"
        html = client.get(alternate["href"].replace("http://localhost", ""), headers=headers)
        assert html.status_code == 200 and html.mimetype == "text/html", page


def test_landing_page_links_the_api_description_and_documentation(client, headers):
    rels = _rels(client.get("/ogc", headers=headers).get_json())
    desc = rels[("service-desc", "application/vnd.oai.openapi+json;version=3.0")]
    doc_page = rels[("service-doc", "text/html")]
    assert client.get(desc, headers=headers).get_json()["openapi"].startswith("3.0")
    page = client.get(doc_page.replace("http://localhost", ""), headers=headers)
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    # every operation of the document is on the page: method and path
    for path in ("/ogc/collections/{collection_id}/items", "/ogc/collections/{collection_id}/queryables",
                 "/api/relocation/enterprises", "/tiles/{collection_id}/{z}/{x}/{y}.mvt"):
        assert f"<code>{path}</code>" in text, path
    assert "filter-lang" in text and "cql2-text" in text
    # a generated page: no script of its own (the top bar's notification bell is the only one, local)
    scripts = re.findall(r"<script[^>]*>", text)
    assert all('type="application/json"' in s or 'src="/static/' in s for s in scripts), scripts
    assert ("http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes", "application/json") in rels


def test_items_and_features_carry_their_links(client, headers):
    body = client.get("/ogc/collections/enterprises/items?limit=3&offset=3", headers=headers).get_json()
    rels = _rels(body)
    assert ("next", "application/geo+json") in rels and ("prev", "application/geo+json") in rels
    assert ("collection", "application/json") in rels and ("alternate", "text/html") in rels
    assert "offset=6" in rels[("next", "application/geo+json")]
    for feat in body["features"]:
        links = {link["rel"]: link["href"] for link in feat["links"]}
        assert links["self"].endswith(f"/ogc/collections/enterprises/items/{feat['id']}")
        assert links["collection"].endswith("/ogc/collections/enterprises")
        again = client.get(links["self"].replace("http://localhost", ""), headers=headers).get_json()
        assert again["properties"] == feat["properties"]


def test_json_schema_types_everywhere(client, headers):
    for cid in catalog.collections():
        for page in (f"/ogc/collections/{cid}", f"/ogc/collections/{cid}/schema", f"/ogc/collections/{cid}/queryables"):
            doc = client.get(page, headers=headers).get_json()
            wrong = [(p, t) for p, t in _walk_types(doc.get("properties", {}))
                     if t not in ("string", "integer", "number", "boolean", "object", "array", "null")]
            assert wrong == [], (page, wrong)


def test_part5_schema_is_valid_json_schema_with_roles(client, headers):
    conforms = client.get("/ogc/conformance", headers=headers).get_json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas" in conforms
    for cid, coll in catalog.collections().items():
        resp = client.get(f"/ogc/collections/{cid}/schema", headers=headers)
        assert resp.status_code == 200 and resp.mimetype == "application/schema+json"
        schema = resp.get_json()
        assert jsonschema_rs.meta.is_valid(schema), cid
        props = schema["properties"]
        assert props["id"]["x-ogc-role"] == "id" and props["geometry"]["x-ogc-role"] == "primary-geometry"
        assert {f.name for f in coll.fields} <= set(props)
        assert schema["required"] == [f.name for f in coll.fields if f.required]
        for f in coll.fields:
            if f.type == "date":
                assert props[f.name]["format"] == "date" and props[f.name]["type"] == "string"
            if not f.editable:
                assert props[f.name]["readOnly"] is True
        # served features validate against the schema (null stands for "no value" of a property not required)
        features = client.get(f"/ogc/collections/{cid}/items?limit=50", headers=headers).get_json()["features"]
        for feature in features:
            given = {k: v for k, v in feature["properties"].items() if v is not None}
            assert jsonschema_rs.is_valid(schema, {**given, "id": feature["id"]}), (cid, feature["id"])


def test_ogc_tiles_are_the_collections_vector_tiles(client, headers):
    rels = _rels(client.get("/ogc/collections/enterprises", headers=headers).get_json())
    tilesets_url = rels[("http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", "application/json")]
    tilesets = client.get(tilesets_url, headers=headers).get_json()["tilesets"]
    assert [t["tileMatrixSetURI"] for t in tilesets] == [
        "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"]
    meta_url = next(link["href"] for link in tilesets[0]["links"] if link["rel"].endswith("/tileset"))
    meta = client.get(meta_url, headers=headers).get_json()
    assert meta["dataType"] == "vector" and meta["layers"][0]["id"] == "enterprises"
    template = next(link for link in meta["links"] if link["rel"] == "item")
    assert template["templated"] and template["type"] == "application/vnd.mapbox-vector-tile"
    assert template["href"].endswith("/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}")
    tms = client.get(next(link["href"] for link in meta["links"] if link["rel"].endswith("tiling-scheme")),
                     headers=headers).get_json()
    assert tms["id"] == "WebMercatorQuad" and tms["tileMatrices"][14]["matrixWidth"] == 2 ** 14
    # a tile over Qingshuitang: zoom 14, row (y) 6850, column (x) 13337 — the same bytes as /tiles/…/z/x/y.mvt
    limits = {lim["tileMatrix"]: lim for lim in meta["tileMatrixSetLimits"]}["14"]
    z, row, col = 14, limits["minTileRow"], limits["minTileCol"]
    for r in range(limits["minTileRow"], limits["maxTileRow"] + 1):
        for c in range(limits["minTileCol"], limits["maxTileCol"] + 1):
            data = client.get(f"/tiles/enterprises/{z}/{c}/{r}.mvt", headers=headers).data
            if data:
                row, col = r, c
                break
        else:
            continue
        break
    url = template["href"].replace("{tileMatrix}", str(z)).replace("{tileRow}", str(row)).replace(
        "{tileCol}", str(col)).replace("http://localhost", "")
    ogc = client.get(url, headers=headers)
    assert ogc.status_code == 200 and ogc.mimetype == "application/vnd.mapbox-vector-tile"
    classic = client.get(f"/tiles/enterprises/{z}/{col}/{row}.mvt", headers=headers)
    assert ogc.data == classic.data and mapbox_vector_tile.decode(ogc.data)["enterprises"]["features"]
    assert client.get("/ogc/collections/enterprises/tiles/WorldCRS84Quad", headers=headers).status_code == 404
    assert client.get("/ogc/collections/enterprises/tiles/WebMercatorQuad/40/0/0", headers=headers).status_code == 404


def test_collection_documents_are_what_the_map_forms_read(client, headers):
    doc = client.get("/ogc/collections/projects", headers=headers).get_json()
    assert doc["properties"]["land_supplied_date"] == {**doc["properties"]["land_supplied_date"],
                                                       "type": "string", "format": "date"}
    assert "name" in doc["required"] and "investment_wan" not in doc["required"]
    assert json.dumps(doc, ensure_ascii=False).count('"type": "date"') == 0


def test_number_fields_are_served_as_decimals(client, headers):
    """A whole investment is written 242739.0, so clients that type fields from the first features read decimals."""
    text = client.get("/ogc/collections/projects/items?limit=1000", headers=headers).get_data(as_text=True)
    import re

    values = re.findall(r'"investment_wan" ?: ?([^,}]+)', text)
    assert values and all(v == "null" or "." in v or "e" in v.lower() for v in values), values[:5]
    employees = re.findall(r'"employees" ?: ?([^,}]+)', client.get(
        "/ogc/collections/enterprises/items?limit=1000", headers=headers).get_data(as_text=True))
    assert any(v != "null" and "." not in v for v in employees)  # integer fields stay integers

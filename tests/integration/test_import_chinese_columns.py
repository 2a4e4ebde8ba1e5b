"""Chinese column names: kept as field labels (popups, forms, tables, exports), with safe ASCII identifiers
(pinyin) as field names; import → export → import keeps the Chinese names."""
from __future__ import annotations

import csv
import io

import geopandas as gpd
import pyogrio
import pytest
from openpyxl import load_workbook
from shapely.geometry import box

from gis_tracker.rules import layer_specs
from tests.factories import X0, Y0, layer_rows, shapefile_zip, unique
from tests.support.clients import commit, sandbox, upload

COLUMNS = ["企业名称", "所属片区", "占地面积", "备注"]
PINYIN = {"企业名称": "qi_ye_ming_cheng", "所属片区": "zone", "占地面积": "zhan_di_mian_ji",
          "备注": "remark"}  # 所属片区 and 备注 are known names


@pytest.fixture(scope="module", autouse=True)
def exchange_dirs(app, tmp_path_factory):
    with sandbox(app, tmp_path_factory):
        yield


def _frame():
    return gpd.GeoDataFrame(
        {"企业名称": ["株洲示例化工", "清水塘示例冶炼"], "所属片区": ["清水塘片区", "田心片区"],
         "占地面积": [1250.5, 88.25], "备注": ["一", "二"]},
        geometry=[box(X0 + 5000, Y0, X0 + 5300, Y0 + 200), box(X0 + 5400, Y0, X0 + 5600, Y0 + 250)],
        crs="EPSG:4547")


def _new_layer(client, headers, path, **options):
    resp = upload(client, headers, path, **options)
    assert resp.status_code == 201, resp.get_json()
    record = resp.get_json()
    name = unique("zhcols").replace("-", "_")
    done = commit(client, headers, record["id"], {"target": "new", "name": name, "title": name})
    assert done.status_code == 200, done.get_json()
    return record["preview"], name


def _schema(client, headers, name):
    resp = client.get(f"/ogc/collections/{name}/queryables", headers=headers)
    assert resp.status_code == 200
    return {k: v.get("title") for k, v in resp.get_json()["properties"].items() if k != "geometry"}


def _check_layer(client, headers, session, name):
    schema = _schema(client, headers, name)
    by_label = {title: key for key, title in schema.items()}
    assert set(COLUMNS) <= set(by_label), schema             # the Chinese names are the labels
    for label in COLUMNS:
        assert layer_specs.FIELD_NAME.fullmatch(by_label[label]), by_label   # safe identifiers
        assert not by_label[label].startswith("field_")
    assert {label: by_label[label] for label in COLUMNS} == PINYIN
    props = [p for p, _ in layer_rows(session, name)]
    assert props[0][by_label["企业名称"]] == "株洲示例化工" and props[1][by_label["占地面积"]] == 88.25
    return by_label


def test_gbk_shapefile_with_chinese_columns(client, headers, session, tmp_path):
    path = shapefile_zip(_frame(), tmp_path, "gbkcols", encoding="GBK", drop=("cpg",), clear_ldid=True)
    preview, name = _new_layer(client, headers, path)
    assert [f["name"] for f in preview["fields"]] == COLUMNS
    _check_layer(client, headers, session, name)


def test_geopackage_round_trip_keeps_the_chinese_column_names(client, headers, session, tmp_path):
    source = tmp_path / "cols.gpkg"
    _frame().to_file(source, driver="GPKG", engine="pyogrio")
    preview, first = _new_layer(client, headers, source)
    assert [f["name"] for f in preview["fields"]] == COLUMNS
    names = _check_layer(client, headers, session, first)

    exported = client.get(f"/api/exports/{first}?format=gpkg&crs=EPSG:4547", headers=headers)
    assert exported.status_code == 200
    out = tmp_path / "exported.gpkg"
    out.write_bytes(exported.data)
    assert [c for c in pyogrio.read_info(out)["fields"]] == COLUMNS  # the file's columns: the labels

    preview2, second = _new_layer(client, headers, out)
    assert [f["name"] for f in preview2["fields"]] == COLUMNS
    assert _check_layer(client, headers, session, second) == names   # same identifiers, same labels
    assert [p for p, _ in layer_rows(session, first)] == [p for p, _ in layer_rows(session, second)]


def test_csv_and_xlsx_exports_head_columns_with_the_labels(client, headers, session, tmp_path):
    source = tmp_path / "cols2.gpkg"
    _frame().to_file(source, driver="GPKG", engine="pyogrio")
    _, name = _new_layer(client, headers, source)
    text = client.get(f"/api/exports/{name}?format=csv&crs=EPSG:4326", headers=headers).data.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    assert header == COLUMNS + ["WKT"]
    book = load_workbook(io.BytesIO(client.get(f"/api/exports/{name}?format=xlsx&crs=EPSG:4326",
                                               headers=headers).data))
    assert [c.value for c in book["data"][1]] == COLUMNS + ["WKT"]
    # a built-in layer keeps its field names (the schema API clients know)
    builtin = client.get("/ogc/collections/projects/items?f=csv", headers=headers).data.decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(builtin)))[0] == "name"


def test_identifiers_for_column_titles():
    assert layer_specs.ascii_identifier("Name (m2)") == "name_m2"
    assert layer_specs.ascii_identifier("☆") == ""
    assert layer_specs.ascii_identifier("企业名称") == "qi_ye_ming_cheng"
    assert layer_specs.ascii_identifier("2020年产值") == "f_2020_nian_chan_zhi"

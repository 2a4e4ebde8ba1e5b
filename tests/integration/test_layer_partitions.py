"""Large loads into an empty user layer get a partition of their own (migration 0012).

What a user relies on: the layer reads, edits, deletes and tiles exactly like
any other; a failed load leaves nothing behind; a downgrade keeps every row.
"""
from __future__ import annotations

import math

import psycopg2
import pytest
from shapely.geometry import Polygon, box
from sqlalchemy import create_engine, text

from gis_tracker.services.exchange import copy_loader
from gis_tracker.services.features import catalog, tiles
from gis_tracker.services.platform import migrations
from tests.factories import unique

X0, Y0 = 413_500.0, 3_089_500.0  # Qingshuitang, EPSG:4547 metres


def _rows(n: int, bad_last: bool = False) -> list:
    rows = [({"code": f"P{i}", "名称": f"地块{i}"}, box(X0 + (i % 100) * 12.0, Y0 + (i // 100) * 12.0,
                                                      X0 + (i % 100) * 12.0 + 10, Y0 + (i // 100) * 12.0 + 10))
            for i in range(n)]
    if bad_last:  # a bow-tie: the database's ST_IsValid check refuses it
        rows[-1] = ({"code": "bad"}, Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)]))
    return rows


def _new_layer(session) -> catalog.Collection:
    name = unique("bulk").replace("-", "_")
    session.execute(text(
        "INSERT INTO user_layers (name, title, geometry_type, fields, style) VALUES (:n, '大图层', 'Polygon', "
        "'[{\"name\": \"code\", \"type\": \"string\", \"label\": \"编号\"}, "
        "{\"name\": \"名称\", \"type\": \"string\", \"label\": \"名称\"}]', '{}')"), {"n": name})
    session.flush()
    return catalog.get(name, session)


def _partition_of(session, layer_id: int) -> str | None:
    return session.scalar(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'layer_features'::regclass AND c.relname = :t"), {"t": f"layer_features_l{layer_id}"})


@pytest.fixture()
def big_layer(app, session):
    """A committed user layer of 6,000 features loaded through the import's COPY path; retired afterwards."""
    coll = _new_layer(session)
    ids = copy_loader.copy_features(session, coll, _rows(6000), "planner")
    session.commit()
    yield coll, ids
    session.rollback()
    session.execute(text("UPDATE user_layers SET deleted_at = now(), deleted_by = 'tests' WHERE id = :id"),
                    {"id": coll.layer_id})
    session.commit()


def test_large_load_into_an_empty_layer_gets_its_own_indexed_partition(session, big_layer):
    coll, ids = big_layer
    assert _partition_of(session, coll.layer_id) == f"layer_features_l{coll.layer_id}"
    assert session.scalar(text(f"SELECT count(*) FROM layer_features_l{coll.layer_id}")) == 6000
    indexes = session.scalars(text("SELECT indexdef FROM pg_indexes WHERE tablename = :t"),
                              {"t": f"layer_features_l{coll.layer_id}"}).all()
    assert any("gist (geom)" in d for d in indexes) and any("(id, layer_id)" in d for d in indexes)
    assert len(ids) == len(set(ids)) == 6000


def test_partitioned_layer_reads_edits_deletes_and_tiles_like_any_other(client, api_token, session, big_layer):
    coll, ids = big_layer
    headers = {"Authorization": f"Bearer {api_token}"}
    page = client.get(f"/ogc/collections/{coll.id}/items?limit=3&code=P42", headers=headers)
    assert page.status_code == 200 and page.get_json()["numberMatched"] == 1
    fid = page.get_json()["features"][0]["id"]
    assert fid == ids[42]

    item = client.get(f"/ogc/collections/{coll.id}/items/{fid}", headers=headers)
    etag = item.headers["ETag"]
    changed = client.patch(f"/ogc/collections/{coll.id}/items/{fid}", headers={**headers, "If-Match": etag},
                           json={"properties": {"名称": "改名后的地块"}})
    assert changed.status_code == 200, changed.get_json()
    again = client.get(f"/ogc/collections/{coll.id}/items/{fid}", headers=headers).get_json()
    assert again["properties"]["名称"] == "改名后的地块"
    stale = client.patch(f"/ogc/collections/{coll.id}/items/{fid}", headers={**headers, "If-Match": etag},
                         json={"properties": {"名称": "覆盖"}})
    assert stale.status_code == 412  # the earlier version's ETag no longer matches

    gone = client.delete(f"/ogc/collections/{coll.id}/items/{ids[0]}",
                         headers={**headers, "If-Match": client.get(
                             f"/ogc/collections/{coll.id}/items/{ids[0]}", headers=headers).headers["ETag"]})
    assert gone.status_code == 204
    left = client.get(f"/ogc/collections/{coll.id}/items?limit=1", headers=headers).get_json()
    assert left["numberMatched"] == 5999
    session.rollback()
    assert session.scalar(text(f"SELECT deleted_at IS NOT NULL FROM layer_features_l{coll.layer_id} "
                               f"WHERE id = :id"), {"id": ids[0]})  # kept, restorable

    lon, lat = session.execute(text(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_Centroid(geom), 4326) AS p "
        "FROM layer_features WHERE id = :id) q"), {"id": ids[150]}).one()
    n = 2 ** 16  # the zoom-16 tile over that parcel
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    tile = tiles.render(session, coll, 16, x, y)
    assert len(tile) > 100  # features of the partition are in the tile


def test_a_second_load_into_the_layer_goes_into_its_partition(session, big_layer):
    coll, _ = big_layer
    more = copy_loader.copy_features(session, coll, _rows(5000), "planner")
    session.commit()
    assert len(more) == 5000
    assert session.scalar(text(f"SELECT count(*) FROM layer_features_l{coll.layer_id}")) == 11000
    assert session.scalar(text("SELECT count(*) FROM layer_features_default WHERE layer_id = :id"),
                          {"id": coll.layer_id}) == 0


def test_small_loads_stay_in_the_shared_partition(session):
    coll = _new_layer(session)
    copy_loader.copy_features(session, coll, _rows(50), "planner")
    assert _partition_of(session, coll.layer_id) is None
    assert session.scalar(text("SELECT count(*) FROM layer_features_default WHERE layer_id = :id"),
                          {"id": coll.layer_id}) == 50
    session.rollback()


def test_a_failed_load_leaves_no_layer_rows_and_no_table(session):
    coll = _new_layer(session)
    layer_id = coll.layer_id
    with pytest.raises(psycopg2.errors.CheckViolation):
        copy_loader.copy_features(session, coll, _rows(6000, bad_last=True), "planner")
    session.rollback()
    assert session.scalar(text("SELECT to_regclass(:t)"), {"t": f"layer_features_l{layer_id}"}) is None
    assert session.scalar(text("SELECT count(*) FROM layer_features WHERE layer_id = :id"), {"id": layer_id}) == 0


def test_downgrade_keeps_the_rows_of_partitioned_layers(empty_database_url):
    engine = create_engine(empty_database_url)
    try:
        migrations.upgrade(engine)
        with engine.begin() as conn:
            layer = conn.scalar(text("INSERT INTO user_layers (name, title, geometry_type) "
                                     "VALUES ('down_big', 'D', 'Polygon') RETURNING id"))
            small = conn.scalar(text("INSERT INTO user_layers (name, title, geometry_type) "
                                     "VALUES ('down_small', 'S', 'Polygon') RETURNING id"))
            table = conn.scalar(text("SELECT layer_partition_begin(:id)"), {"id": layer})
            conn.execute(text(f"INSERT INTO {table} (layer_id, geom) SELECT :id, "
                              "ST_MakeEnvelope(400000 + i, 3000000, 400000 + i + 0.5, 3000001, 4547) "
                              "FROM generate_series(1, 30) i"), {"id": layer})
            conn.execute(text("SELECT layer_partition_attach(:id)"), {"id": layer})
            conn.execute(text("INSERT INTO layer_features (layer_id, geom) "
                              "VALUES (:id, ST_MakeEnvelope(0, 0, 1, 1, 4547))"), {"id": small})
        migrations.downgrade(engine, "0011_layer_feature_indexes")
        with engine.connect() as conn:
            counts = dict(conn.execute(text("SELECT layer_id, count(*) FROM layer_features GROUP BY layer_id")).all())
            kind = conn.scalar(text("SELECT relkind FROM pg_class WHERE relname = 'layer_features'"))
            key = conn.scalar(text("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                                   "WHERE conname = 'layer_features_pkey'"))
        assert counts == {layer: 30, small: 1} and kind == "r" and key == "PRIMARY KEY (id)"
        migrations.upgrade(engine)
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM layer_features")) == 31
        migrations.downgrade(engine, "base")
    finally:
        engine.dispose()


def test_two_large_loads_into_one_empty_layer_both_land(app, session):
    """The second load waits for the first to commit, then copies into the partition the first made.

    The second starts while the first is still copying into its (uncommitted) partition.
    """
    import threading
    import time

    coll = _new_layer(session)
    session.commit()
    make_session = app.extensions["db_sessionmaker"]
    first_copied, results = threading.Event(), {}  # set once the first load is copying

    def load(name: str, wait_for: threading.Event | None) -> None:
        other = make_session()
        try:
            if wait_for is not None:
                wait_for.wait(30)
            def copying(done: int) -> None:
                if wait_for is None and not first_copied.is_set():
                    first_copied.set()  # the first load is inside its COPY now
                    time.sleep(0.5)

            results[name] = len(copy_loader.copy_features(other, coll, _rows(6000), name, copying))
            other.commit()
        except Exception as exc:  # noqa: BLE001 - reported through results
            results[name] = exc
            first_copied.set()
        finally:
            other.close()

    threads = [threading.Thread(target=load, args=("first", None)),
               threading.Thread(target=load, args=("second", first_copied))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == {"first": 6000, "second": 6000}
    session.rollback()
    assert session.scalar(text(f"SELECT count(*) FROM layer_features_l{coll.layer_id}")) == 12000
    session.execute(text("UPDATE user_layers SET deleted_at = now(), deleted_by = 'tests' WHERE id = :id"),
                    {"id": coll.layer_id})
    session.commit()


def test_two_large_loads_into_different_layers_both_land(app, session):
    """Two large loads into two new layers at once both land (attaching locks the shared partition:
    they used to deadlock); partitions are made one at a time, the other load copies the ordinary way."""
    import threading

    layers = [_new_layer(session), _new_layer(session)]
    session.commit()
    make_session = app.extensions["db_sessionmaker"]
    start, results = threading.Barrier(2), {}

    def load(coll) -> None:
        other = make_session()
        try:
            start.wait(10)
            results[coll.id] = len(copy_loader.copy_features(other, coll, _rows(6000), "planner"))
            other.commit()
        except Exception as exc:  # noqa: BLE001 - reported through results
            results[coll.id] = exc
        finally:
            other.close()

    threads = [threading.Thread(target=load, args=(coll,)) for coll in layers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == {coll.id: 6000 for coll in layers}
    session.rollback()
    assert any(_partition_of(session, coll.layer_id) for coll in layers)
    assert [session.scalar(text("SELECT count(*) FROM layer_features WHERE layer_id = :id"), {"id": coll.layer_id})
            for coll in layers] == [6000, 6000]
    for coll in layers:
        session.execute(text("UPDATE user_layers SET deleted_at = now(), deleted_by = 'tests' WHERE id = :id"),
                        {"id": coll.layer_id})
    session.commit()


def test_a_long_reader_makes_the_load_copy_the_ordinary_way(app, session, monkeypatch):
    """While someone reads the shared partition, the attach gives up after its timeout; the rows still land."""
    monkeypatch.setattr(copy_loader, "ATTACH_LOCK_TIMEOUT", "300ms")
    coll = _new_layer(session)
    session.commit()
    reader = app.extensions["db_sessionmaker"]()
    try:
        reader.execute(text("SELECT count(*) FROM layer_features_default"))  # holds its lock until it ends
        ids = copy_loader.copy_features(session, coll, _rows(6000), "planner")
        session.commit()
    finally:
        reader.rollback()
        reader.close()
    assert len(ids) == 6000 and _partition_of(session, coll.layer_id) is None
    assert session.scalar(text("SELECT to_regclass(:t)"), {"t": f"layer_features_l{coll.layer_id}"}) is None
    assert session.scalar(text("SELECT count(*) FROM layer_features_default WHERE layer_id = :id"),
                          {"id": coll.layer_id}) == 6000
    session.execute(text("UPDATE user_layers SET deleted_at = now(), deleted_by = 'tests' WHERE id = :id"),
                    {"id": coll.layer_id})
    session.commit()


def test_only_the_app_role_may_call_the_partition_functions(app, session):
    acl = session.scalars(text("SELECT coalesce(proacl::text, '') FROM pg_proc "
                               "WHERE proname IN ('layer_partition_begin', 'layer_partition_attach')")).all()
    assert len(acl) == 2
    grants = [entry.strip("{}").split(",") for entry in acl]  # e.g. owner=X/owner,app=X/owner
    assert not any(g.startswith("=") for entries in grants for g in entries)  # "=X/…" is PUBLIC
    with app.app_context():
        from gis_tracker.db import db

        role = db.app_role
    if role:
        assert all(any(g.startswith(f"{role}=X/") for g in entries) for entries in grants)

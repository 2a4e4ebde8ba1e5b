"""Insert many features at once with PostgreSQL COPY, inside the caller's transaction.

Imports of tens of thousands of features go through here instead of one ORM
object per row: ids are drawn from the table's sequence up front (so the
caller knows them), the rows stream as CSV with geometries as hex EWKB, and
everything stays in the session's transaction — all rows or none.  Row
triggers (e.g. keeping protected-area parts in sync) and CHECK constraints
still run for every row.

A large load into an empty user layer goes further: the layer gets its own
partition of ``layer_features`` (migration 0012), created bare, filled by
COPY and then attached, so PostgreSQL builds the indexes once, sorted, and
checks the foreign key in one query instead of row by row.

Why it is fast: the CSV is produced chunk by chunk *while* PostgreSQL parses
and indexes the previous chunk (psycopg2 pulls from a lazy reader), so on a
multi-core machine the Python encoding and the server's work overlap; each
chunk's geometries are encoded in one vectorised shapely call and its
attributes with orjson.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import date, datetime

import numpy as np
import orjson
import psycopg2.errors
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from ... import sql
from ...db import STORAGE_SRID
from ..features.catalog import Collection

LOGGER = logging.getLogger(__name__)
NULL = r"\N"
PARTITION_MIN = 5000  # rows: below this a partition of its own costs more (DDL, locks) than it saves
PARTITION_LOCK = 0x5F1A7  # advisory lock key: one partition being made at a time
ATTACH_LOCK_TIMEOUT = "3s"  # then give up the partition and copy the ordinary way
CHUNK = 2000  # rows encoded per read(): small enough to overlap with the server, big enough to vectorise


def _json(value) -> str:
    """JSON text of a row's attributes: orjson (pinned) is about five times faster than the standard json.

    What orjson refuses (integers beyond 64 bits, say) goes through the standard json instead.
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")
    except TypeError:
        return json.dumps(value, ensure_ascii=False)


def _csv_value(value) -> str:
    """Return one CSV field: NULL unquoted, everything else quoted (so no value can read as NULL)."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        text_value = "true" if value else "false"
    elif isinstance(value, (date, datetime)):
        text_value = value.isoformat()
    elif isinstance(value, (dict, list)):
        text_value = _json(value)
    else:
        text_value = str(value)
    return '"' + text_value.replace('"', '""') + '"'


def _ewkb_hex(geoms: list[BaseGeometry]) -> list[str]:
    """Return hex EWKB (with the storage SRID) of every geometry.

    Binary WKB from one vectorised shapely call, then ``bytes.hex()``: about
    three times faster than asking GEOS for hex directly.
    """
    array = shapely.set_srid(np.asarray(geoms, dtype=object), STORAGE_SRID)
    return [wkb.hex() for wkb in shapely.to_wkb(array, include_srid=True)]


class _LazyCsv:
    """A read-only file object whose text is made chunk by chunk as COPY asks for it."""

    def __init__(self, chunks: Iterator[str]):
        self._chunks = chunks
        self._pending = ""
        self.error: BaseException | None = None  # psycopg2 reports it only as "error in .read() call"

    def read(self, size: int = -1) -> str:
        try:
            return self._read(size)
        except BaseException as exc:
            self.error = exc
            raise

    def _read(self, size: int) -> str:
        while size < 0 or len(self._pending) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._pending += chunk
        if size < 0:
            size = len(self._pending)
        out, self._pending = self._pending[:size], self._pending[size:]
        return out


def copy_features(session: Session, coll: Collection, rows: list[tuple[dict, BaseGeometry]],
                  username: str | None, progress: Callable[[int], None] | None = None) -> list[int]:
    """COPY ``rows`` of (attributes, geometry in the storage CRS) into ``coll``; return their ids.

    ``progress(done)`` is called with the number of rows handed to the server so far.
    """
    if not rows:
        return []
    session.flush()  # rows the ORM still holds (e.g. a new layer) must exist first
    table = coll.model.__table__.name
    cursor = session.connection().connection.cursor()
    try:
        use_partition = _own_partition(cursor, coll, len(rows))
        partition: str | None = None
        # The sequence is looked up once: pg_get_serial_sequence() per row costs 4× the nextval()s.
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,))
        cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", (cursor.fetchone()[0], len(rows)))
        ids = [row[0] for row in cursor.fetchall()]
        tail = f"1,{_csv_value(username)},{_csv_value(username)}\n"
        if coll.storage == "jsonb":
            columns = ["id", "layer_id", "properties", "geom", "version", "created_by", "updated_by"]
            head = f",{coll.layer_id},"

            def line(fid, attrs, geom):
                return f"{fid}{head}{_csv_value(attrs)},{geom},{tail}"
        else:
            # Only attributes some row sets: the others keep their column defaults.
            present = set().union(*(attrs.keys() for attrs, _ in rows))
            names = [f.name for f in coll.fields if f.editable and f.name in present]
            columns = ["id", *names, "geom", "version", "created_by", "updated_by"]

            def line(fid, attrs, geom):
                return f"{fid},{','.join(_csv_value(attrs.get(n)) for n in names)},{geom},{tail}"

        def chunks() -> Iterator[str]:
            for start in range(0, len(rows), CHUNK):
                part = rows[start:start + CHUNK]
                geoms = _ewkb_hex([geom for _, geom in part])  # hex digits only: never quoted, never NULL
                yield "".join(line(fid, attrs, geom)
                              for fid, (attrs, _), geom in zip(ids[start:start + CHUNK], part, geoms))
                if progress:
                    progress(start + len(part))

        def copy_into(target: str) -> None:
            reader = _LazyCsv(chunks())
            try:
                copy = sql.composed("COPY {target} (" + ", ".join("{c%d}" % i for i in range(len(columns)))
                                    + f") FROM STDIN WITH (FORMAT csv, NULL '{NULL}')",
                                    target=target, **{f"c{i}": c for i, c in enumerate(columns)})
                cursor.copy_expert(copy, reader, size=1 << 16)
            except psycopg2.Error:
                if reader.error is not None:  # the real cause, not "error in .read() call"
                    raise reader.error from None
                raise

        if use_partition:
            try:
                cursor.execute("SAVEPOINT bulk_partition")
                cursor.execute("SELECT layer_partition_begin(%s)", (coll.layer_id,))
                partition = cursor.fetchone()[0]
                copy_into(partition)
                _attach(cursor, coll.layer_id)
                cursor.execute("RELEASE SAVEPOINT bulk_partition")
            except (psycopg2.errors.LockNotAvailable, psycopg2.errors.DeadlockDetected):
                # Readers of the shared partition kept the attach waiting: undo the partition and
                # copy the rows the ordinary way instead (slower, but the import goes through).  The
                # locks taken before (layer row, one partition at a time) stay until the commit.
                LOGGER.warning("attaching a partition for %s had to wait too long; copying row by row", coll.id)
                cursor.execute("ROLLBACK TO SAVEPOINT bulk_partition")
                partition = None
                copy_into(table)
        else:
            copy_into(table)
    finally:
        cursor.close()
    LOGGER.info("copied %d features into %s%s", len(rows), coll.id,
                f" (own partition {partition})" if partition else "")
    return ids


def _own_partition(cursor, coll: Collection, count: int) -> bool:
    """Tell whether these rows should go into a partition of the layer's own (and take its locks).

    No (COPY into ``layer_features`` as usual) for small loads, for layers that
    already have features or a partition, for the built-in collections, where
    the database predates migration 0012, and while another partition is being
    made (they are made one at a time: attaching locks the shared default
    partition, and two attaches at once would deadlock).  Yes leaves the layer
    row locked against feature inserts (their foreign-key check takes KEY SHARE)
    until the commit: a second large load into the layer waits, then finds it no
    longer empty and copies into the partition; a map edit of it waits a moment.
    """
    if coll.storage != "jsonb" or coll.layer_id is None or count < PARTITION_MIN:
        return False
    cursor.execute("SELECT to_regprocedure('layer_partition_begin(integer)') IS NOT NULL")
    if not cursor.fetchone()[0]:
        return False
    cursor.execute("SAVEPOINT bulk_locks")
    cursor.execute("SELECT 1 FROM user_layers WHERE id = %s FOR UPDATE", (coll.layer_id,))
    cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", (PARTITION_LOCK,))
    if cursor.fetchone()[0]:
        cursor.execute(
            "SELECT to_regclass('layer_features_l' || %(id)s) IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM layer_features WHERE layer_id = %(id)s AND deleted_at IS NULL) "
            "AND NOT EXISTS (SELECT 1 FROM layer_features WHERE layer_id = %(id)s AND deleted_at IS NOT NULL)",
            {"id": coll.layer_id})
        if cursor.fetchone()[0]:
            cursor.execute("RELEASE SAVEPOINT bulk_locks")  # keeps both locks until the commit
            return True
    cursor.execute("ROLLBACK TO SAVEPOINT bulk_locks")  # gives both locks back (a release would keep them)
    cursor.execute("RELEASE SAVEPOINT bulk_locks")
    return False


def _attach(cursor, layer_id: int) -> None:
    """Attach the filled partition, waiting at most ATTACH_LOCK_TIMEOUT for readers of the shared one."""
    cursor.execute("SHOW lock_timeout")
    previous = cursor.fetchone()[0]
    cursor.execute("SELECT set_config('lock_timeout', %s, true)", (ATTACH_LOCK_TIMEOUT,))
    cursor.execute("SELECT layer_partition_attach(%s)", (layer_id,))
    cursor.execute("SELECT set_config('lock_timeout', %s, true)", (previous,))

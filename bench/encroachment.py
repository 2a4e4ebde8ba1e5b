"""Benchmark the encroachment checks in a scratch database; prints ratios, asserts identical results.

    .venv/bin/python bench/encroachment.py [--vertices 200000] [--projects 10000] [--loop N]

1. Subdivided vs naive: 100 random projects checked against one protected
   area of about 200,000 vertices — our query on ``protected_parts``
   (``ST_Subdivide`` + GiST) against the naive query on the raw polygon.
   Target: ≥ 30× faster; the flagged projects and their overlap areas must be
   identical.
2. Set-based vs per-project: re-checking 10,000 projects after an edit of
   the protected layer in one set-based pass against looping
   ``recheck(project_ids=[id])`` per project.  Target: ≥ 10× faster.

Timings are noisy (2 cores): each variant runs in the same scratch database,
in the same run, and only the ratios matter.  The scratch database is created
with ``gis_tracker.localdb.create_database`` and dropped afterwards.
"""
from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from gis_tracker import localdb  # noqa: E402
from gis_tracker.models.encroachment import EncroachmentRule  # noqa: E402
from gis_tracker.services.encroachment import check
from gis_tracker.services.platform import migrations  # noqa: E402

CENTRE = (416000.0, 3090000.0)  # EPSG:4547, inside the district
RADIUS = 4000.0
NAIVE_SQL = """
SELECT p.id, ST_Area(ST_Intersection(p.geom, a.geom)) AS overlap_m2
FROM projects p JOIN protected_areas a ON a.id = :aid AND ST_Intersects(p.geom, a.geom)
WHERE p.id = ANY(CAST(:ids AS int[]))
"""


def star_polygon_wkt(vertices: int, seed: int = 7) -> str:
    """Return a simple (star-shaped, hence valid) polygon with ``vertices`` wiggly vertices."""
    rng = random.Random(seed)
    points = []
    for i in range(vertices):
        t = 2 * math.pi * i / vertices
        r = RADIUS * (1 + 0.18 * math.sin(7 * t) + 0.06 * math.sin(151 * t) + 0.01 * math.sin(2713 * t)
                      + 0.002 * rng.random())
        points.append(f"{CENTRE[0] + r * math.cos(t):.3f} {CENTRE[1] + r * math.sin(t):.3f}")
    points.append(points[0])
    return f"MULTIPOLYGON((({', '.join(points)})))"


def insert_projects(session: Session, n: int, seed: int, prefix: str) -> list[int]:
    """Insert ``n`` random rectangular projects (30–300 m) around the protected area; return their ids."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        x = CENTRE[0] + rng.uniform(-1.4, 1.4) * RADIUS
        y = CENTRE[1] + rng.uniform(-1.4, 1.4) * RADIUS
        w, h = rng.uniform(30, 300), rng.uniform(30, 300)
        rows.append({"name": f"{prefix}{i}", "wkt": f"MULTIPOLYGON((({x} {y}, {x + w} {y}, {x + w} {y + h}, "
                                                     f"{x} {y + h}, {x} {y})))"})
    ids = []
    for start in range(0, n, 1000):
        chunk = rows[start:start + 1000]
        ids += session.scalars(text(
            "INSERT INTO projects (name, project_type, status, geom) "
            "SELECT r.name, 'industrial', 'planned', ST_GeomFromText(r.wkt, 4547) "
            "FROM json_to_recordset(CAST(:rows AS json)) AS r(name text, wkt text) RETURNING id"),
            {"rows": __import__("json").dumps(chunk)}).all()
    return ids


def timed(fn, repeat: int = 2):
    """Return (best seconds, last result) of ``fn`` over ``repeat`` runs."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def subdivided_vs_naive(session: Session, area_id: int, rule: EncroachmentRule, ids: list[int]) -> float:
    """Compare our measurement on parts with the naive query on the raw polygon; return the speed-up."""
    def ours():
        check._measure(session, [rule], ids)
        rows = session.execute(text("SELECT pid, overlap_m2 FROM enc_measure")).all()
        return {r.pid: r.overlap_m2 for r in rows if r.overlap_m2 > 0}

    def naive():
        rows = session.execute(text(NAIVE_SQL), {"aid": area_id, "ids": ids}).all()
        return {r.id: r.overlap_m2 for r in rows if r.overlap_m2 > 0}

    t_ours, got = timed(ours)
    t_naive, want = timed(naive)
    assert set(got) == set(want), (sorted(set(got) ^ set(want)))
    for pid, area in want.items():
        assert abs(got[pid] - area) <= max(0.01, 1e-9 * area), (pid, got[pid], area)
    flagged = sum(1 for a in want.values() if a > 0.01)
    print(f"[1] {len(ids)} projects vs a {args.vertices:,}-vertex protected area "
          f"({parts(session, area_id):,} parts): naive {t_naive:.3f} s, subdivided {t_ours:.3f} s, "
          f"speed-up {t_naive / t_ours:.1f}x (target >= 30x); {flagged} overlapping, results identical")
    return t_naive / t_ours


def parts(session: Session, area_id: int) -> int:
    return session.scalar(text("SELECT count(*) FROM protected_parts WHERE source = 'protected_areas' "
                               "AND feature_id = :id"), {"id": area_id})


def set_based_vs_loop(session: Session, area_id: int, ids: list[int], loop_n: int) -> float:
    """Re-check after a layer edit: one set-based pass vs one recheck per project; return the speed-up."""
    check.recheck(session, project_ids=ids, username="bench")
    session.commit()
    # The layer edit: the protected area moves 60 m east (its parts are re-subdivided by the trigger).
    session.execute(text("UPDATE protected_areas SET geom = ST_Translate(geom, 60, 0) WHERE id = :id"),
                    {"id": area_id})
    session.commit()

    start = time.perf_counter()
    report = check.recheck(session, project_ids=ids, username="bench")
    t_set = time.perf_counter() - start
    set_state = flag_state(session)
    session.rollback()

    sample = ids[:loop_n]
    start = time.perf_counter()
    for pid in sample:
        check.recheck(session, project_ids=[pid], username="bench")
    t_loop = (time.perf_counter() - start) * len(ids) / len(sample)
    if len(sample) == len(ids):
        assert flag_state(session) == set_state, "looping and set-based re-checks disagree"
    session.rollback()
    c = report["counts"]
    extrapolated = "" if len(sample) == len(ids) else f" (loop timed on {len(sample):,}, scaled)"
    print(f"[2] re-check of {len(ids):,} projects after a layer edit: per-project loop {t_loop:.2f} s"
          f"{extrapolated}, set-based {t_set:.2f} s, speed-up {t_loop / t_set:.1f}x (target >= 10x); "
          f"raised {c['raised']}, changed {c['changed']}, cleared {c['cleared']}")
    return t_loop / t_set


def flag_state(session: Session) -> set:
    return set(session.execute(text(
        "SELECT project_id, rule_id, status, round(overlap_m2::numeric, 2), cleared_at IS NULL "
        "FROM encroachment_flags")).all())


def main() -> int:
    name = f"shifeng_bench_encroachment_{os.getpid()}"
    url = localdb.create_database(name)
    engine = create_engine(url)
    try:
        migrations.upgrade(engine)
        with Session(engine) as session:
            t0 = time.perf_counter()
            area_id = session.scalar(text(
                "INSERT INTO protected_areas (name, category, tier, geom) "
                "VALUES ('基准测试绿心', 'green_heart', 'prohibited', ST_GeomFromText(:wkt, 4547)) RETURNING id"),
                {"wkt": star_polygon_wkt(args.vertices)})
            session.commit()
            print(f"protected area with {args.vertices:,} vertices stored and subdivided in "
                  f"{time.perf_counter() - t0:.1f} s")
            rule = session.scalar(text("SELECT id FROM encroachment_rules WHERE code = 'green_heart_prohibited'"))
            rule = session.get(EncroachmentRule, rule)
            few = insert_projects(session, 100, seed=1, prefix="bench-a-")
            session.commit()
            session.execute(text("ANALYZE"))
            r1 = subdivided_vs_naive(session, area_id, rule, few)
            session.rollback()
            many = insert_projects(session, args.projects, seed=2, prefix="bench-b-")
            session.commit()
            session.execute(text("ANALYZE"))
            session.commit()
            r2 = set_based_vs_loop(session, area_id, many, min(args.loop or len(many), len(many)))
        print(f"ratios: subdivided/naive {r1:.1f}x, set-based/loop {r2:.1f}x")
    finally:
        engine.dispose()
        localdb.drop_database(name)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vertices", type=int, default=200_000)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--loop", type=int, default=0, help="time the per-project loop on N projects (0: all)")
    args = parser.parse_args()
    sys.exit(main())

"""The editing workload shared by the concurrency and fault runs.

Editors work on a few shared features (enterprises as relocation officers,
projects as planners).  Each edit reads the feature (GET → ETag and a counter
attribute), then saves counter + 1 with ``If-Match``.  Under contention most
saves are stale and must get 412; the successful ones must all be kept:
counter increments = successful saves = version increments = audit rows.
"""
from __future__ import annotations

import random
import threading
import time

import requests
from _harness import Stack, Tally
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

SHARED = {"enterprises": ("employees", "relocation_officer"), "projects": ("investment_wan", "planner")}
FEATURES_PER_COLLECTION = 4


def pick_features(stack: Stack) -> dict[str, list[int]]:
    """Return the ids of the shared features per collection."""
    chosen = {}
    for coll, (_, role) in SHARED.items():
        resp = requests.get(f"{stack.base}/ogc/collections/{coll}/items", params={"limit": FEATURES_PER_COLLECTION},
                            headers={"Authorization": f"Bearer {stack.tokens[role]}"}, timeout=30)
        resp.raise_for_status()
        chosen[coll] = [int(f["id"]) for f in resp.json()["features"]]
    return chosen


def snapshot(stack: Stack, features: dict[str, list[int]]) -> dict:
    """Return counters, versions, version rows and audit rows of the shared features (as the owner)."""
    engine = create_engine(stack.owner_url, poolclass=NullPool)
    state = {}
    with engine.connect() as conn:
        for coll, ids in features.items():
            field = SHARED[coll][0]
            for fid in ids:
                counter, version = conn.execute(text(
                    f"SELECT coalesce({field}, 0), version FROM {coll} WHERE id = :f"), {"f": fid}).one()
                versions = conn.scalar(text("SELECT count(*) FROM feature_versions WHERE collection = :c "
                                            "AND feature_id = :f"), {"c": coll, "f": fid})
                audits = conn.scalar(text("SELECT count(*) FROM audit_log WHERE object_type = :c "
                                          "AND object_id = :f AND action = 'update'"), {"c": coll, "f": str(fid)})
                kept = set(conn.scalars(text("SELECT version FROM feature_versions WHERE collection = :c "
                                             "AND feature_id = :f"), {"c": coll, "f": fid}))
                state[(coll, fid)] = {"counter": int(counter), "version": version, "versions": versions,
                                      "audits": audits, "kept": kept}
    engine.dispose()
    return state


class Editors:
    """Run editors and remember every acknowledged save."""

    def __init__(self, stack: Stack, features: dict[str, list[int]], tally: Tally) -> None:
        self.stack, self.features, self.tally = stack, features, tally
        self.acked: list[tuple[str, int, int]] = []  # (collection, id, version) answered 200
        self.lock = threading.Lock()

    def work(self, index: int, stop: threading.Event) -> None:
        """Edit shared features until ``stop`` is set."""
        coll = list(SHARED)[index % len(SHARED)]
        field, role = SHARED[coll]
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {self.stack.tokens[role]}"
        rng = random.Random(index)
        while not stop.is_set():
            fid = rng.choice(self.features[coll])
            url = f"{self.stack.base}/ogc/collections/{coll}/items/{fid}"
            started = time.monotonic()
            try:
                got = http.get(url, timeout=30)
            except requests.RequestException:
                self.tally.add("get", 0, time.monotonic() - started)
                time.sleep(0.2)
                continue
            self.tally.add("get", got.status_code, time.monotonic() - started)
            if got.status_code != 200:
                time.sleep(0.2)
                continue
            counter = int(got.json()["properties"].get(field) or 0)
            started = time.monotonic()
            try:
                saved = http.patch(url, json={"properties": {field: counter + 1}},
                                   headers={"If-Match": got.headers["ETag"]}, timeout=30)
            except requests.RequestException:
                self.tally.add("patch", 0, time.monotonic() - started)
                continue
            self.tally.add("patch", saved.status_code, time.monotonic() - started)
            if saved.status_code == 200:
                version = int(saved.headers["ETag"].strip('"').rsplit("-v", 1)[1])
                with self.lock:
                    self.acked.append((coll, fid, version))


def verify(before: dict, after: dict, acked: list[tuple[str, int, int]]) -> dict:
    """Compare the states: lost updates, mismatches between counters, versions and audit rows."""
    per_feature = {key: 0 for key in before}
    for coll, fid, _ in acked:
        per_feature[(coll, fid)] += 1
    lost = missing_versions = mismatched = 0
    for key, b in before.items():
        a = after[key]
        increments = a["counter"] - b["counter"]
        version_steps = a["version"] - b["version"]
        # Rows of versions made during the run (the first edit may also keep the original v1).
        version_rows = len({v for v in a["kept"] if v > b["version"]})
        audit_rows = a["audits"] - b["audits"]
        if not increments == version_steps == version_rows == audit_rows:
            mismatched += 1
            print(f"  inconsistent {key}: counter +{increments}, version +{version_steps}, "
                  f"version rows +{version_rows}, audit rows +{audit_rows}")
        lost += max(0, per_feature[key] - increments)
    for coll, fid, version in acked:
        if version not in after[(coll, fid)]["kept"]:
            missing_versions += 1
    committed = sum(after[k]["version"] - before[k]["version"] for k in before)
    return {"acknowledged": len(acked), "committed": committed, "lost_updates": lost,
            "acked_versions_missing": missing_versions, "features_inconsistent": mismatched}

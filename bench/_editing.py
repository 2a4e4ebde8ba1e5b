"""The editing workload of the load and fault runs: PATCH saves and stage transitions, checked by counting rows.

Editors are logged-in browsers (session cookie + CSRF token, see ``_server.py``):

* **PATCH** editors share a few features (enterprises as relocation officers,
  projects as planners).  Each edit reads the feature (GET → ETag and a
  counter attribute), then saves counter + 1 with ``If-Match``; under
  contention most saves are stale and must get 412.
* **Transition** workers move their own enterprises (a disjoint set each)
  one stage forward with ``If-Match`` — and one stage back, with a reason,
  once an enterprise is accepted — as the relocation office does.

Every answer is tallied.  Afterwards the database is read as the owner and the
acknowledgements are checked against rows: each acknowledged save's version
row and each acknowledged transition's row must exist ("lost" counts those that
do not, and must be 0), and per feature the counter increments, version
increments, version rows and audit rows must agree (nothing half-written).  A
save cut off by a fault may have committed without an answer: such rows are
counted as "committed, not acknowledged", which is allowed (so are the saves
answered 503 ``save_outcome_unknown``: cut off during their COMMIT).
"""
from __future__ import annotations

import datetime as dt
import random
import threading
import time
from dataclasses import dataclass, field

import requests
from _harness import Tally
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from gis_tracker.rules.relocation import next_stages
from gis_tracker.rules.stages import STAGE_CODES

SHARED = {"enterprises": ("employees", "relocation_officer"), "projects": ("investment_wan", "planner")}
FEATURES_PER_COLLECTION = 4
ENTERPRISES_PER_MOVER = 6
DESTINATION = "株洲市石峰区龙头铺工业园"


@dataclass
class Acks:
    """What the server acknowledged, and the answers that left the outcome open."""

    saves: list[tuple[str, int, int]] = field(default_factory=list)  # (collection, id, version) answered 200
    transitions: list[int] = field(default_factory=list)  # stage_transitions.id answered 201
    unknown: list[tuple[str, int, int]] = field(default_factory=list)  # 503 save_outcome_unknown: etag to look for
    lock: threading.Lock = field(default_factory=threading.Lock)


def pick_features(stack) -> dict[str, list[int]]:
    """Return the shared features of the PATCH editors and the enterprises of the transition workers."""
    http = stack.browser("viewer")
    chosen = {}
    for coll in SHARED:
        resp = http.get(f"{stack.base}/ogc/collections/{coll}/items", params={"limit": FEATURES_PER_COLLECTION},
                        timeout=30)
        resp.raise_for_status()
        chosen[coll] = [int(f["id"]) for f in resp.json()["features"]]
    everyone = http.get(f"{stack.base}/ogc/collections/enterprises/items", params={"limit": 500}, timeout=60).json()
    chosen["movers"] = [int(f["id"]) for f in everyone["features"] if int(f["id"]) not in chosen["enterprises"]]
    return chosen


def snapshot(stack, features: dict[str, list[int]]) -> dict:
    """Return, as the owner: per shared feature its counter, version, version and audit rows; transition rows."""
    engine = create_engine(stack.owner_url, poolclass=NullPool)
    state: dict = {}
    with engine.connect() as conn:
        for coll, (counter_field, _) in SHARED.items():
            for fid in features[coll]:
                counter, version = conn.execute(text(
                    f"SELECT coalesce({counter_field}, 0), version FROM {coll} WHERE id = :f"), {"f": fid}).one()
                kept = set(conn.scalars(text("SELECT version FROM feature_versions WHERE collection = :c "
                                             "AND feature_id = :f"), {"c": coll, "f": fid}))
                audits = conn.scalar(text("SELECT count(*) FROM audit_log WHERE object_type = :c "
                                          "AND object_id = :f AND action = 'update'"), {"c": coll, "f": str(fid)})
                state[(coll, fid)] = {"counter": int(counter), "version": version, "kept": kept, "audits": audits}
        movers = features["movers"]
        state["transitions"] = set(conn.scalars(text("SELECT id FROM stage_transitions WHERE enterprise_id = ANY(:e)"),
                                                {"e": movers}))
        state["transition_audits"] = conn.scalar(text(
            "SELECT count(*) FROM audit_log WHERE object_type = 'enterprises' AND action = 'transition' "
            "AND object_id = ANY(:e)"), {"e": [str(m) for m in movers]})
        state["mover_versions"] = dict(conn.execute(text("SELECT id, version FROM enterprises WHERE id = ANY(:e)"),
                                                    {"e": movers}).all())
    engine.dispose()
    return state


def _version_of(etag: str | None) -> int | None:
    try:
        return int(etag.strip('"').rsplit("-v", 1)[1])
    except (AttributeError, IndexError, ValueError):
        return None


class Editors:
    """Run PATCH editors and transition workers; remember every acknowledgement."""

    def __init__(self, stack, features: dict[str, list[int]], tally: Tally, movers: int) -> None:
        self.stack, self.features, self.tally = stack, features, tally
        self.acks = Acks()
        self.movers = movers
        self.browsers: dict[int, requests.Session] = {}

    def role_of(self, index: int) -> str:
        """Return the account worker ``index`` logs in as."""
        return "relocation_officer" if index < self.movers else SHARED[list(SHARED)[index % len(SHARED)]][1]

    def log_in(self, count: int) -> None:
        """Log ``count`` workers in now (before the clock starts)."""
        for index in range(count):
            self._browser(index, self.role_of(index))

    def _browser(self, index: int, role: str) -> requests.Session:
        if index not in self.browsers:
            self.browsers[index] = self.stack.browser(role)
        return self.browsers[index]

    def _call(self, kind: str, http: requests.Session, method: str, url: str, **kwargs) -> requests.Response | None:
        started = time.monotonic()
        try:
            resp = http.request(method, url, timeout=30, **kwargs)
        except requests.RequestException:
            self.tally.add(kind, 0, time.monotonic() - started)  # no answer (the server was killed)
            return None
        self.tally.add(kind, resp.status_code, time.monotonic() - started)
        if resp.status_code == 503 and (resp.json() if resp.content else {}).get("code") == "save_outcome_unknown":
            body = resp.json()
            with self.acks.lock:
                self.acks.unknown.append((body["collection"], body["feature_id"], _version_of(body["etag_if_saved"])))
        return resp

    def work(self, index: int, stop: threading.Event) -> None:
        """Worker ``index``: the first ``movers`` workers move stages, the others PATCH shared features."""
        if index < self.movers:
            self._move_stages(index, stop)
        else:
            self._patch(index, stop)

    def _patch(self, index: int, stop: threading.Event) -> None:
        coll = list(SHARED)[index % len(SHARED)]
        counter_field, role = SHARED[coll]
        http = self._browser(index, role)
        rng = random.Random(index)
        while not stop.is_set():
            fid = rng.choice(self.features[coll])
            url = f"{self.stack.base}/ogc/collections/{coll}/items/{fid}"
            got = self._call("get", http, "GET", url)
            if got is None or got.status_code != 200:
                time.sleep(0.2)
                continue
            counter = int(got.json()["properties"].get(counter_field) or 0)
            etag = got.headers["ETag"]
            saved = self._call("patch", http, "PATCH", url, json={"properties": {counter_field: counter + 1}},
                               headers={"If-Match": etag})
            if saved is not None and saved.status_code == 200:
                with self.acks.lock:
                    self.acks.saves.append((coll, fid, _version_of(saved.headers["ETag"])))

    def _move_stages(self, index: int, stop: threading.Event) -> None:
        http = self._browser(index, "relocation_officer")
        mine = self.features["movers"][index * ENTERPRISES_PER_MOVER:(index + 1) * ENTERPRISES_PER_MOVER]
        i = 0
        while mine and not stop.is_set():
            eid = mine[i % len(mine)]
            i += 1
            got = self._call("get", http, "GET", f"{self.stack.base}/ogc/collections/enterprises/items/{eid}")
            if got is None or got.status_code != 200:
                time.sleep(0.2)
                continue
            props = got.json()["properties"]
            ahead = next_stages(props["path"], props["stage"])
            body = {"date": dt.date.today().isoformat(), "note": "负载测试"}
            if ahead:
                body["to_stage"] = ahead[0]
            else:  # accepted: back one stage, with the reason the rules ask for
                body.update(to_stage=STAGE_CODES[STAGE_CODES.index(props["stage"]) - 1], reason="负载测试：退回复核")
            if props["path"] == "relocate":
                body["destination"] = props.get("destination") or DESTINATION
            moved = self._call("transition", http, "POST", f"{self.stack.base}/api/enterprises/{eid}/transitions",
                               json=body, headers={"If-Match": got.headers["ETag"]})
            if moved is not None and moved.status_code == 201:
                with self.acks.lock:
                    self.acks.transitions.append(int(moved.json()["transition"]["id"]))


def verify(before: dict, after: dict, acks: Acks) -> dict:
    """Check acknowledgements against rows; return the counts the benches report."""
    lost_saves = [a for a in acks.saves if a[2] not in after[(a[0], a[1])]["kept"]]
    inconsistent, committed_saves = [], 0
    for key, b in before.items():
        if not isinstance(key, tuple):
            continue
        a = after[key]
        increments = a["counter"] - b["counter"]
        version_steps = a["version"] - b["version"]
        version_rows = len({v for v in a["kept"] if v > b["version"]})
        audit_rows = a["audits"] - b["audits"]
        committed_saves += version_rows
        if not increments == version_steps == version_rows == audit_rows:
            inconsistent.append(f"{key}: counter +{increments}, version +{version_steps}, "
                                f"version rows +{version_rows}, audit rows +{audit_rows}")
    new_transitions = after["transitions"] - before["transitions"]
    lost_transitions = [t for t in acks.transitions if t not in after["transitions"]]
    transition_audits = after["transition_audits"] - before["transition_audits"]
    if transition_audits != len(new_transitions):
        inconsistent.append(f"transitions: {len(new_transitions)} rows but {transition_audits} audit entries")
    return {
        "acknowledged_saves": len(acks.saves), "acknowledged_transitions": len(acks.transitions),
        "committed_saves": committed_saves, "committed_transitions": len(new_transitions),
        "lost_saves": len(lost_saves), "lost_transitions": len(lost_transitions),
        "committed_unacknowledged": (committed_saves - len(acks.saves)) + (len(new_transitions) - len(acks.transitions)),
        "unknown_outcomes": len(acks.unknown),
        "inconsistent": inconsistent,
    }

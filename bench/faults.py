"""Faults during the concurrency run: kill every app connection, then restart PostgreSQL.

Run: ``.venv/bin/python bench/faults.py [--editors 20] [--seconds 60]``

The editing workload of ``load_concurrency.py`` runs against gunicorn on a
throwaway cluster dedicated to this bench.  At 25 % of the run every backend
of the app is terminated (``pg_terminate_backend``); at 50 % PostgreSQL is
stopped (fast shutdown), left down for 3 s and started again.  Checks: only
200, 412 and 503 answers (no other 5xx, no dropped connection); the first
successful save comes within 10 s of PostgreSQL being back; every
acknowledged save is in the database and counters, versions and audit rows
agree (no committed write lost, nothing half-written).
"""
from __future__ import annotations

import argparse
import sys
import threading
import time

from _editing import Editors, pick_features, snapshot, verify
from _harness import Tally, report_latencies, start_stack


def main() -> int:
    """Run the fault bench and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--editors", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--down", type=float, default=3, help="seconds PostgreSQL stays down")
    args = parser.parse_args()
    stack = start_stack()
    timeline = {}
    try:
        features = pick_features(stack)
        before = snapshot(stack, features)
        tally = Tally()
        editors = Editors(stack, features, tally)
        stop = threading.Event()
        threads = [threading.Thread(target=editors.work, args=(i, stop), daemon=True) for i in range(args.editors)]
        start = time.monotonic()
        for t in threads:
            t.start()
        print(f"{args.editors} editors for {args.seconds:.0f} s with faults …", flush=True)
        time.sleep(args.seconds * 0.25)
        timeline["terminate"] = time.monotonic()
        killed = stack.cluster.terminate_backends("shifeng-gis")
        print(f"  t={time.monotonic() - start:5.1f} s  terminated {killed} app connections", flush=True)
        time.sleep(args.seconds * 0.25)
        timeline["stop"] = time.monotonic()
        stack.cluster.stop("fast")
        print(f"  t={time.monotonic() - start:5.1f} s  PostgreSQL stopped", flush=True)
        time.sleep(args.down)
        stack.cluster.start()
        stack.cluster.wait_until_up()
        timeline["up"] = time.monotonic()
        print(f"  t={time.monotonic() - start:5.1f} s  PostgreSQL back", flush=True)
        time.sleep(max(0.0, args.seconds - (time.monotonic() - start)))
        stop.set()
        for t in threads:
            t.join(60)
        after = snapshot(stack, features)
        result = verify(before, after, editors.acked)
    finally:
        stack.stop()

    allowed = {200, 412, 503}
    bad = {k: v for k, v in tally.statuses.items() if k[1] not in allowed}
    unavailable = tally.count(status=503)
    first_ok = min((at for at, kind, status in tally.events if kind == "patch" and status == 200
                    and at > timeline["up"]), default=None)
    recovery = (first_ok - timeline["up"]) if first_ok else float("inf")
    after_kill = [s for at, _, s in tally.events if timeline["terminate"] <= at < timeline["stop"]]
    print("\nresults")
    print(f"  answers                {tally.count()}  {dict(sorted(((f'{k}:{s}', n) for (k, s), n in tally.statuses.items())))}")
    print(f"  503 (database away)    {unavailable}")
    print(f"  other errors           {sum(bad.values())}  {bad}")
    print(f"  503s after the kill    {after_kill.count(503)} of {len(after_kill)} answers before the restart")
    print(f"  recovery after restart {recovery:.2f} s (first successful save)")
    print(f"  acknowledged saves     {result['acknowledged']}, committed versions {result['committed']}")
    print(f"  acknowledged but missing  {result['acked_versions_missing']}")
    print(f"  lost updates           {result['lost_updates']}")
    print(f"  inconsistent features  {result['features_inconsistent']}")
    report_latencies(tally)
    failed = bad or recovery > 10 or result["acked_versions_missing"] or result["lost_updates"] \
        or result["features_inconsistent"]
    print("\nverdict:", "FAIL" if failed else "PASS (only 503s during the faults, recovery within 10 s, "
                                             "no committed write lost)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""20 concurrent editors for 60 s on shared enterprises and projects, all with If-Match, against gunicorn.

Run: ``.venv/bin/python bench/load_concurrency.py [--editors 20] [--seconds 60]``

Prints: requests, successful saves, stale saves answered 412, any other
status (5xx must be 0), p50/p95 latency, and the consistency check: 0 lost
updates (counter increments = successful saves = version increments = audit rows).
Exit status 1 when a check fails.
"""
from __future__ import annotations

import argparse
import sys

from _editing import Editors, pick_features, snapshot, verify
from _harness import Tally, report_latencies, run_for, start_stack


def main() -> int:
    """Run the concurrency bench and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--editors", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    stack = start_stack()
    try:
        features = pick_features(stack)
        before = snapshot(stack, features)
        tally = Tally()
        editors = Editors(stack, features, tally)
        print(f"{args.editors} editors on {sum(map(len, features.values()))} shared features "
              f"for {args.seconds:.0f} s …", flush=True)
        run_for(args.seconds, args.editors, editors.work)
        after = snapshot(stack, features)
        result = verify(before, after, editors.acked)
    finally:
        stack.stop()
    saves = tally.count("patch")
    ok, stale = tally.count("patch", 200), tally.count("patch", 412)
    other = saves - ok - stale
    server_errors = tally.count(predicate=lambda s: s >= 500 or s == 0)
    print("\nresults")
    print(f"  saves attempted      {saves}")
    print(f"  saved (200)          {ok}")
    print(f"  stale (412)          {stale}")
    print(f"  other statuses       {other}  {dict((k, v) for k, v in tally.statuses.items() if k[1] not in (200, 412))}")
    print(f"  5xx / no answer      {server_errors}")
    print(f"  committed versions   {result['committed']}")
    print(f"  lost updates         {result['lost_updates']}")
    print(f"  features where counter/versions/audit disagree  {result['features_inconsistent']}")
    print(f"  throughput           {(tally.count()) / args.seconds:.1f} requests/s")
    report_latencies(tally)
    failed = (server_errors or other or result["lost_updates"] or result["features_inconsistent"]
              or result["acked_versions_missing"] or result["committed"] != ok)
    print("\nverdict:", "FAIL" if failed else "PASS (0 lost updates, every stale save 412, no 5xx)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

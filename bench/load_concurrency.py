"""Concurrent editors on the server ``script/server`` starts: PATCH saves and stage transitions, checked by rows.

Run: ``.venv/bin/python bench/load_concurrency.py [--editors 20] [--movers 4] [--seconds 60]``

``--editors`` browsers work for ``--seconds``: ``--movers`` of them move their own
enterprises through the relocation stages (forward, and back once accepted), the
others PATCH a few shared enterprises and projects with If-Match (most get 412 under
contention).  Afterwards every acknowledgement is checked against the rows
(``_editing.verify``).  Prints: editors × seconds, writes acknowledged, lost (must be 0),
5xx (must be 0), 412s, inconsistencies (must be none), throughput and latencies.
Exit status 1 when a check fails.
"""
from __future__ import annotations

import argparse
import sys

from _editing import Editors, pick_features, snapshot, verify
from _harness import Tally, report_latencies, run_for
from _server import start_server_stack


def main() -> int:
    """Run the concurrency bench and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--editors", type=int, default=20)
    parser.add_argument("--movers", type=int, default=4, help="how many of the editors move stages")
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    stack = start_server_stack()
    try:
        features = pick_features(stack)
        before = snapshot(stack, features)
        tally = Tally()
        editors = Editors(stack, features, tally, movers=args.movers)
        editors.log_in(args.editors)
        print(f"{args.editors} editors ({args.movers} moving stages) for {args.seconds:.0f} s …", flush=True)
        run_for(args.seconds, args.editors, editors.work)
        after = snapshot(stack, features)
        result = verify(before, after, editors.acks)
    finally:
        stack.stop()
    server_errors = tally.count(predicate=lambda s: s >= 500)
    no_answer = tally.count(status=0)
    acked = result["acknowledged_saves"] + result["acknowledged_transitions"]
    lost = result["lost_saves"] + result["lost_transitions"]
    print("\nresults")
    print(f"  editors × seconds        {args.editors} × {args.seconds:.0f}")
    print(f"  writes acknowledged      {acked}  (PATCH 200: {result['acknowledged_saves']}, "
          f"transitions 201: {result['acknowledged_transitions']})")
    print(f"  rows committed           versions {result['committed_saves']}, transitions "
          f"{result['committed_transitions']}")
    print(f"  lost                     {lost}")
    print(f"  5xx                      {server_errors}   no answer {no_answer}")
    print(f"  stale (412)              {tally.count('patch', 412) + tally.count('transition', 412)}")
    print(f"  answers                  {dict(sorted((f'{k}:{s}', n) for (k, s), n in tally.statuses.items()))}")
    print(f"  inconsistent             {len(result['inconsistent'])}  {result['inconsistent'][:5]}")
    print(f"  throughput               {tally.count() / args.seconds:.1f} requests/s")
    report_latencies(tally)
    failed = (server_errors or no_answer or lost or result["inconsistent"]
              or result["committed_unacknowledged"] != 0)
    print("\nverdict:", "FAIL" if failed else "PASS (0 lost, 0 5xx, rows = acknowledgements)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

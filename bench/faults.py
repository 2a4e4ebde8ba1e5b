"""Faults under the editing load, against the server ``script/server`` starts: PostgreSQL crashed, the app killed.

Run: ``.venv/bin/python bench/faults.py [--editors 20] [--movers 4] [--seconds 60] [--down 3]``

The workload of ``load_concurrency.py`` (PATCH saves with If-Match and stage
transitions, as logged-in browsers) runs for ``--seconds``.  Meanwhile:

* at 15 %: every backend of the app is terminated (``pg_terminate_backend``);
* at 30 %: PostgreSQL is crashed (``pg_ctl stop -m immediate``: no shutdown
  checkpoint, crash recovery at the next start), left down ``--down`` s, started again;
* at 50 %: the app is killed with SIGKILL (its whole process group) and
  ``script/server`` is started again at once.

Checks: every acknowledged write is in the database (lost = 0); rows agree with
acknowledgements (versions, transitions, audit entries); no 5xx other than 503
while PostgreSQL is away (503s after it is back count as errors); sessions survive
both faults (no editor logs in again).  Prints editors × seconds, writes
acknowledged, lost, 5xx, 503s, answers missing while the app was dead, and the
recovery seconds after each fault (to the first successful write).
"""
from __future__ import annotations

import argparse
import sys
import threading
import time

from _editing import Editors, pick_features, snapshot, verify
from _harness import Tally, report_latencies
from _server import start_server_stack

WRITES = ("patch", "transition")


def _first_write_after(tally: Tally, moment: float) -> float | None:
    return min((at for at, kind, status in tally.events if kind in WRITES and status in (200, 201) and at > moment),
               default=None)


def main() -> int:
    """Run the fault bench and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--editors", type=int, default=20)
    parser.add_argument("--movers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--down", type=float, default=3, help="seconds PostgreSQL stays down")
    args = parser.parse_args()
    stack = start_server_stack()
    t: dict[str, float] = {}
    try:
        features = pick_features(stack)
        before = snapshot(stack, features)
        tally = Tally()
        editors = Editors(stack, features, tally, movers=args.movers)
        editors.log_in(args.editors)  # every editor logs in once, before the clock starts
        stop = threading.Event()
        threads = [threading.Thread(target=editors.work, args=(i, stop), daemon=True) for i in range(args.editors)]
        t["start"] = time.monotonic()

        def at(fraction: float) -> None:
            time.sleep(max(0.0, t["start"] + args.seconds * fraction - time.monotonic()))

        def say(text: str) -> None:
            print(f"  t={time.monotonic() - t['start']:5.1f} s  {text}", flush=True)

        for th in threads:
            th.start()
        print(f"{args.editors} editors ({args.movers} moving stages) for {args.seconds:.0f} s with faults …",
              flush=True)
        at(0.15)
        t["terminate"] = time.monotonic()
        say(f"terminated {stack.cluster.terminate_backends('shifeng-gis')} app connections")
        at(0.30)
        t["pg_kill"] = time.monotonic()
        stack.cluster.stop("immediate")
        say("PostgreSQL crashed (pg_ctl stop -m immediate)")
        time.sleep(args.down)
        stack.cluster.start()
        stack.cluster.wait_until_up()
        t["pg_up"] = time.monotonic()
        say("PostgreSQL back (after crash recovery)")
        at(0.50)
        t["app_kill"] = time.monotonic()
        stack.kill_server()
        say("app killed (SIGKILL to its process group); starting script/server again")
        took = stack.start_server()
        t["app_up"] = time.monotonic()
        say(f"script/server ready again after {took:.1f} s")
        at(1.0)
        stop.set()
        for th in threads:
            th.join(60)
        after = snapshot(stack, features)
        result = verify(before, after, editors.acks)
    finally:
        stack.stop()

    outage = (t["pg_kill"], t["pg_up"] + 5)  # 503s are right while PostgreSQL is away (and a moment after)
    app_dead = (t["app_kill"], t["app_up"] + 1)
    bad = [(kind, status) for at_, kind, status in tally.events if status >= 500
           and not (status == 503 and (t["terminate"] <= at_ < t["terminate"] + 2 or outage[0] <= at_ < outage[1]))]
    bad += [(kind, "no answer") for at_, kind, status in tally.events
            if status == 0 and not app_dead[0] <= at_ <= app_dead[1]]
    unavailable = tally.count(status=503)
    dead_app = [s for at_, _, s in tally.events if app_dead[0] <= at_ <= app_dead[1]]
    no_answer = tally.count(status=0)
    pg_first = _first_write_after(tally, t["pg_up"])
    app_first = _first_write_after(tally, t["app_up"])
    acked = result["acknowledged_saves"] + result["acknowledged_transitions"]
    lost = result["lost_saves"] + result["lost_transitions"]
    logged_out = tally.count(status=401)  # an editor whose session was lost would get 401 from then on
    print("\nresults")
    print(f"  editors × seconds          {args.editors} × {args.seconds:.0f}")
    print(f"  writes acknowledged        {acked}  (PATCH 200: {result['acknowledged_saves']}, "
          f"transitions 201: {result['acknowledged_transitions']})")
    print(f"  rows committed             versions {result['committed_saves']}, transitions "
          f"{result['committed_transitions']} ({result['committed_unacknowledged']} committed without an answer)")
    print(f"  lost                       {lost}")
    print(f"  5xx (other than 503 while the database was away)  {len(bad)}  {bad[:5]}")
    print(f"  503 while the database was away  {unavailable}  (of them 'save outcome unknown', "
          f"cut off during COMMIT: {result['unknown_outcomes']})")
    print(f"  no answer while the app was dead {no_answer}  ({len(dead_app)} requests in that window)")
    print(f"  recovery after PostgreSQL crash  {(pg_first - t['pg_up']) if pg_first else float('inf'):.2f} s "
          f"(first successful write after it accepted connections again; down {t['pg_up'] - t['pg_kill']:.1f} s)")
    print(f"  recovery after app SIGKILL       {(app_first - t['app_kill']) if app_first else float('inf'):.2f} s "
          f"(kill → first successful write; script/server start {t['app_up'] - t['app_kill']:.1f} s)")
    print(f"  answers 401 (session lost)       {logged_out}  (sessions live in PostgreSQL)")
    print(f"  inconsistent                     {len(result['inconsistent'])}  {result['inconsistent'][:5]}")
    print(f"  answers                          {dict(sorted((f'{k}:{s}', n) for (k, s), n in tally.statuses.items()))}")
    report_latencies(tally)
    failed = bool(bad or lost or result["inconsistent"] or pg_first is None or app_first is None
                  or pg_first - t["pg_up"] > 10 or logged_out)
    print("\nverdict:", "FAIL" if failed else "PASS (0 lost, no 5xx but 503 during the outage, rows = "
                                             "acknowledgements, recovery within 10 s, sessions kept)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

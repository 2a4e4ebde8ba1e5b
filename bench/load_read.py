"""100 concurrent viewers loading the map layers for 60 s, against the server ``script/server`` starts.

Run: ``.venv/bin/python bench/load_read.py [--viewers 100] [--seconds 60]``

Each viewer loads the layers the map page loads (all five collections as
GeoJSON, as ``static/js/map.js`` asks for them) over and over.  Prints the
error rate and p50/p95 latency per layer, plus the throughput.
"""
from __future__ import annotations

import argparse
import sys
import threading
import time

import requests
from _harness import Tally, report_latencies, run_for
from _server import start_server_stack

LAYERS = ("zones", "enterprises", "protected_areas", "water_bodies", "projects")


def main() -> int:
    """Run the read bench and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    stack = start_server_stack(workers=5, threads=8)
    tally = Tally()

    browsers = [stack.browser("viewer") for _ in range(args.viewers)]  # logged in like the map page

    def viewer(index: int, stop: threading.Event) -> None:
        http = browsers[index]
        i = index
        while not stop.is_set():
            layer = LAYERS[i % len(LAYERS)]
            i += 1
            started = time.monotonic()
            try:
                status = http.get(f"{stack.base}/ogc/collections/{layer}/items", params={"limit": 2000},
                                  timeout=60).status_code
            except requests.RequestException:
                status = 0
            tally.add(layer, status, time.monotonic() - started)

    try:
        print(f"{args.viewers} viewers for {args.seconds:.0f} s …", flush=True)
        run_for(args.seconds, args.viewers, viewer)
    finally:
        stack.stop()
    total = tally.count()
    errors = tally.count(predicate=lambda s: s != 200)
    all_latencies = [v for values in tally.latencies.values() for v in values]
    from _harness import percentile
    print("\nresults")
    print(f"  requests        {total}  ({total / args.seconds:.1f}/s)")
    print(f"  errors          {errors}  ({100 * errors / max(total, 1):.2f} %)  "
          f"{dict((k, v) for k, v in tally.statuses.items() if k[1] != 200)}")
    print(f"  all layers      p50={percentile(all_latencies, 50):.1f} ms  p95={percentile(all_latencies, 95):.1f} ms")
    report_latencies(tally)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

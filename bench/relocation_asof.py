"""Benchmark: the relocation views as of a past date (history replayed) against today's (columns read).

Usage: ``.venv/bin/python bench/relocation_asof.py [--repeat N]``

Creates a scratch database in the private cluster with the sample data (172
enterprises, their initial transitions), then in the same run times, as
medians of N runs: today's statuses (baseline: the enterprises' columns),
statuses as of 2018-06-30 (every transition up to that day replayed), the
whole dashboard as of that day (with the four milestone replays and the
monthly chart), the table page and a ledger export.  Prints medians and the
ratio of each against the baseline.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gis_tracker import create_app, localdb  # noqa: E402
from gis_tracker.config import TestConfig  # noqa: E402
from gis_tracker.db import db  # noqa: E402
from gis_tracker.services.platform import migrations, sample_data  # noqa: E402
from gis_tracker.services.relocation import dashboard, ledger, status
from gis_tracker.services.relocation.status import EnterpriseFilter  # noqa: E402

PAST = date(2018, 6, 30)


def _median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    name = f"shifeng_bench_relocation_{os.getpid()}"
    url = localdb.create_database(name)
    try:
        app = create_app(TestConfig(url))
        with app.app_context():
            migrations.upgrade(db.migration_engine, app_role=db.app_role)
            sample_data.load(db.session)
            s = db.session
            cases = {
                "statuses today (baseline)": lambda: status.statuses(s),
                f"statuses as of {PAST}": lambda: status.statuses(s, PAST),
                f"dashboard as of {PAST}": lambda: dashboard.dashboard(s, PAST),
                f"table page as of {PAST}": lambda: status.table(s, EnterpriseFilter(as_of=PAST)),
                "ledger export xlsx (172 rows)": lambda: ledger.export(s, EnterpriseFilter(), "xlsx"),
            }
            for fn in cases.values():
                fn()  # warm up
            results = {label: _median_ms(fn, args.repeat) for label, fn in cases.items()}
            db.session.close()
        app.extensions["db_engine"].dispose()
    finally:
        localdb.drop_database(name)
    base = results["statuses today (baseline)"]
    print(f"cores: {os.cpu_count()}  repeat: {args.repeat}")
    for label, ms in results.items():
        print(f"{label:40s} median {ms:8.1f} ms   ratio {ms / base:5.2f}x")


if __name__ == "__main__":
    main()

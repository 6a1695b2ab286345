"""``make bench``: raw Celery against the event bus on PostgreSQL + Redis, with 2 worker processes.

Order: fresh database and Redis → workers warm up → throughput (baseline and bus, interleaved,
repeated) → latency at a steady rate → workers stopped → relay over empty and over 1M finished rows.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import time
from datetime import UTC, datetime

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

import django

django.setup()

from eventbus import conf  # noqa: E402

from . import latency, relay_speed, report, services, throughput  # noqa: E402
from .measuring import Measured  # noqa: E402
from .workers import ROOT, Workers  # noqa: E402

VAR = ROOT / "var" / "bench"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--items", type=int, default=10_000, help="tasks, and events, per throughput run")
    parser.add_argument("--repeat", type=int, default=3, help="throughput runs of each kind (median kept)")
    parser.add_argument("--rate", type=float, default=200.0, help="events/s in the latency run")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the latency run")
    parser.add_argument("--relay-rows", type=int, default=20_000, help="pending rows per relay run")
    parser.add_argument("--finished-rows", type=int, default=1_000_000, help="finished rows under the relay")
    parser.add_argument("--relay-repeat", type=int, default=3, help="relay runs of each kind (median kept)")
    parser.add_argument("--skip-live", action="store_true", help="relay only: no workers, no throughput")
    parser.add_argument("--skip-relay", action="store_true", help="throughput and latency only")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    services.reset_database()
    services.flush_redis()
    stamps = VAR / "stamps"
    shutil.rmtree(stamps, ignore_errors=True)
    stamps.mkdir(parents=True)

    figures: dict[str, float] = {}
    details: dict = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "args": vars(args)}
    if not args.skip_live:
        workers = Workers(log=VAR / "worker.log", stamp_dir=stamps).start()
        try:
            live(workers, args, figures, details)
        finally:
            workers.stop()
    if not args.skip_relay:
        relay(args, figures, details)

    print()
    print(report.table(figures))
    print(f"\nwritten to {report.write(figures, details).relative_to(ROOT)}")


def live(workers: Workers, args: argparse.Namespace, figures: dict[str, float], details: dict) -> None:
    say("starting the worker and warming up")
    throughput.baseline(workers, "warmup-tasks", 200)
    throughput.events(workers, "warmup-events", 200)

    baselines: list[Measured] = []
    buses: list[Measured] = []
    for i in range(1, args.repeat + 1):
        services.truncate_bus_tables()
        baselines.append(throughput.baseline(workers, f"tasks-{i}", args.items))
        say(f"baseline run {i}: {baselines[-1].per_s:,.0f} tasks/s")
        services.truncate_bus_tables()
        buses.append(throughput.events(workers, f"events-{i}", args.items))
        say(f"events run {i}: {buses[-1].per_s:,.0f} events/s")
    figures["baseline_tasks_per_s"] = statistics.median(m.per_s for m in baselines)
    figures["events_per_s"] = statistics.median(m.per_s for m in buses)
    figures["ratio"] = figures["events_per_s"] / figures["baseline_tasks_per_s"]
    details["baseline_runs"] = [describe(m) for m in baselines]
    details["events_runs"] = [describe(m) for m in buses]

    services.truncate_bus_tables()
    say(f"latency: {args.rate:g} events/s for {args.seconds:g} s")
    paced = latency.paced(workers, "latency", rate=args.rate, seconds=args.seconds)
    figures["latency_ms_p50"] = paced.percentile(50)
    figures["latency_ms_p99"] = paced.percentile(99)
    details["latency"] = {
        **describe(paced.measured),
        "achieved_rate": round(paced.achieved_rate, 1),
        **{f"p{p}_ms": round(paced.percentile(p), 2) for p in (10, 50, 90, 99, 99.9, 100)},
    }


def relay(args: argparse.Namespace, figures: dict[str, float], details: dict) -> None:
    batch = conf.batch_size()
    empty = []
    for i in range(1, args.relay_repeat + 1):
        empty.append(relay_speed.over_empty(args.relay_rows, batch))
        say(f"relay over an empty table, run {i}: {empty[-1].per_s:,.0f} rows/s")
    services.truncate_bus_tables()
    say(f"loading {args.finished_rows:,} finished rows")
    started = time.perf_counter()
    relay_speed.load_finished(args.finished_rows)
    say(f"loaded in {time.perf_counter() - started:.1f} s")
    full = []
    for i in range(1, args.relay_repeat + 1):
        full.append(relay_speed.over_finished(args.relay_rows, batch))
        say(f"relay over {args.finished_rows:,} finished rows, run {i}: {full[-1].per_s:,.0f} rows/s")
    figures["relay_per_s_empty"] = statistics.median(r.per_s for r in empty)
    figures["relay_per_s_1m"] = statistics.median(r.per_s for r in full)
    details["relay"] = {
        "batch": batch,
        "empty_runs": [round(r.per_s) for r in empty],
        "finished_runs": [round(r.per_s) for r in full],
    }


def describe(measured: Measured) -> dict:
    return {
        "items": measured.items,
        "seconds": round(measured.seconds, 3),
        "per_s": round(measured.per_s, 1),
        "per_item": {name: round(value, 3) for name, value in measured.per_item().items()},
        "tasks_run": measured.tasks_run,
    }


def say(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


if __name__ == "__main__":
    main()

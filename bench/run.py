"""``make bench``: raw Celery against the event bus on PostgreSQL + Redis, with 2 worker processes.

Prints each figure beside its target and writes bench/results.json. Needs PostgreSQL and Redis;
see docs/benchmarks.md for what each figure means and the environment variables.
"""

from __future__ import annotations

import argparse
import os


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--items", type=int, default=10_000, help="tasks, and events, per throughput run")
    parser.add_argument("--repeat", type=int, default=3, help="throughput runs of each kind (median kept)")
    parser.add_argument("--rate", type=float, default=200.0, help="events/s in the latency run")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the latency run")
    parser.add_argument("--sagas", type=int, default=1_000, help="orders placed in the saga throughput run")
    parser.add_argument("--saga-rate", type=float, default=20.0, help="orders/s in the saga latency run")
    parser.add_argument("--saga-seconds", type=float, default=15.0, help="length of the saga latency run")
    parser.add_argument("--api-requests", type=int, default=2_000, help="requests per REST API run (0: none)")
    parser.add_argument("--relay-rows", type=int, default=10_000, help="pending rows per relay run")
    parser.add_argument("--finished-rows", type=int, default=1_000_000, help="finished rows under the relay")
    parser.add_argument("--relay-repeat", type=int, default=3, help="relay runs of each kind (median kept)")
    parser.add_argument("--skip-live", action="store_true", help="relay only: no workers, no throughput")
    parser.add_argument("--skip-relay", action="store_true", help="throughput and latency only")
    parser.add_argument("--skip-split", action="store_true", help="no events across services (needs RabbitMQ)")
    parser.add_argument(
        "--peers",
        action="store_true",
        help="also drive django-celery-outbox and django-jaiminho (a throwaway venv), as the bus",
    )
    parser.add_argument(
        "--count-queries", action="store_true", help="also count SQL statements per item (adds a little work)"
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    if args.count_queries:
        os.environ["BENCH_COUNT_QUERIES"] = "1"  # read at start-up, here and by the workers

    import django

    django.setup()
    from . import report, suite

    figures, details = suite.run_all(args)
    print()
    if "events_runs" in details:
        print(report.breakdown(details), end="\n\n")
    print(report.table(figures, details))
    print(f"\nwritten to {report.write(figures, details).relative_to(suite.ROOT)}")


if __name__ == "__main__":
    main()

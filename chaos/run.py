"""``make chaos``: inject each fault into a real system on private servers and check the invariants.

Starts its own PostgreSQL cluster and Redis on free ports, then for every row: a fresh database,
gunicorn, two Celery workers and beat; orders over HTTP and probe events; the fault; the wait until
every saga has ended; the checks. Prints one line per row and writes var/chaos/report.json.
Exits 1 if any row broke an invariant. See docs/reliability.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .rows import Row

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "chaos"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m chaos.run", description=__doc__)
    parser.add_argument("--rows", default="", help="comma-separated row names (default: every row)")
    parser.add_argument("--ci", action="store_true", help="the rows and sizes that fit in CI")
    parser.add_argument("--orders", type=int, default=0, help="orders per row (default 180; 60 with --ci)")
    parser.add_argument("--rate", type=float, default=6.0, help="orders (and probe events) per second")
    parser.add_argument("--list", action="store_true", help="list the rows and exit")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))  # clean up as on Ctrl-C
    from .servers import PostgresCluster, RedisServer, free_port

    shutil.rmtree(VAR, ignore_errors=True)
    VAR.mkdir(parents=True)
    postgres = PostgresCluster(port=free_port(), directory=Path("/tmp") / f"chaos-pg-{os.getpid()}")
    redis_server = RedisServer(port=free_port(), directory=VAR / "redis")
    web_port = free_port()
    os.environ.update(
        DJANGO_SETTINGS_MODULE="chaos.settings",
        CHAOS_DIR=str(VAR),
        CHAOS_DATABASE_URL=postgres.url,
        CHAOS_BROKER_URL=redis_server.database(0),
        CHAOS_DOORBELL_URL=redis_server.database(1),
        CHAOS_CACHE_URL=redis_server.database(2),
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    _log_to(VAR / "load.log")
    from . import matrix, report
    from .rows import ROWS

    rows = _chosen(ROWS, args)
    if args.list:
        print("\n".join(f"{row.name:20} {'ci ' if row.in_ci else '   '}{row.fault}" for row in ROWS))
        return 0
    size = matrix.Size(
        orders=args.orders or (60 if args.ci else 180),
        rate=args.rate,
        scale=0.5 if args.ci else 1.0,
        settle_seconds=240.0,
    )
    from django.core.management import call_command

    from .processes import System, beat, web, worker

    outcomes = []
    try:
        postgres.create()
        redis_server.start()
        call_command("migrate", verbosity=0)
        system = System(web=web(VAR, web_port), workers=[worker("w1", VAR), worker("w2", VAR)], beat=beat(VAR))
        print(report.HEADER, flush=True)
        for row in rows:
            outcome = matrix.run_row(row, size, postgres, redis_server, system)
            outcomes.append(outcome)
            print(report.line(outcome), flush=True)
            for problem in outcome.problems[:20]:
                print(f"    {problem}", flush=True)
            report.write(VAR / "report.json", outcomes, size)
    finally:
        redis_server.stop()
        _quietly(postgres.stop)
        shutil.rmtree(postgres.directory, ignore_errors=True)
    print(f"\nwritten to {report.write(VAR / 'report.json', outcomes, size).relative_to(ROOT)}")
    return 0 if all(outcome.passed for outcome in outcomes) else 1


def _chosen(rows: list[Row], args: argparse.Namespace) -> list[Row]:
    if args.rows:
        wanted = args.rows.split(",")
        unknown = set(wanted) - {row.name for row in rows}
        if unknown:
            raise SystemExit(f"unknown rows: {', '.join(sorted(unknown))} (python -m chaos.run --list)")
        return [row for row in rows if row.name in wanted]
    return [row for row in rows if row.in_ci] if args.ci else rows


def _log_to(path: Path) -> None:
    """This process's own log lines (the load's doorbell warnings while Redis is away) go to a file."""
    import logging

    logging.getLogger().handlers = [logging.FileHandler(path)]


def _quietly(action: Callable[[], object]) -> None:
    try:
        action()
    except Exception as error:
        print(f"clean-up: {error}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())

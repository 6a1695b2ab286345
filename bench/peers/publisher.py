"""The peer's publisher: one process, kept for the whole measurement, told what to send on stdin.

Each item is sent in a transaction of its own, as the bench publishes its own events, through the
peer's documented way in: ``noop.delay()`` on django-celery-outbox's app, a ``@save_to_outbox``
function for django-jaiminho. An item is handed over when its COMMIT returned: an on-commit
callback registered before the peer's own notes the time, as the bench does for its own events
(jaiminho's publish-on-commit sends the task from its on-commit hook).

Commands, one per line; each answers one line of JSON on stdout:
``reset`` (empty the outbox table), ``burst RUN N``, ``paced RUN N RATE`` (answers the hand-over
time of every item). The bench kills the process when it is done with the peer.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.peers.settings")
django.setup()

from django.db import connection, transaction  # noqa: E402

from .tasks import noop, send_noop_through_jaiminho  # noqa: E402


def sender() -> Callable[[str, int], None]:
    if os.environ["BENCH_PEER"] == "celery-outbox":
        return lambda run, n: noop.delay(run, n)
    return send_noop_through_jaiminho


def send(run: str, n: int, way: Callable[[str, int], None]) -> float:
    """Send item ``n``; returns when its COMMIT returned, noted before any on-commit hook of the peer's."""
    committed: list[float] = []
    with transaction.atomic():
        transaction.on_commit(lambda: committed.append(time.time()))  # first in line, as the bench's own
        way(run, n)
    return committed[0]


def burst(run: str, items: int, way: Callable[[str, int], None]) -> dict:
    for n in range(items):
        send(run, n, way)
    return {}


def paced(run: str, items: int, rate: float, way: Callable[[str, int], None]) -> dict:
    handed_over: dict[int, float] = {}
    begin = time.monotonic() + 0.05
    for n in range(items):
        delay = begin + n / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        handed_over[n] = send(run, n, way)
    return {"handed_over": handed_over}


def reset() -> dict:
    from django.apps import apps

    tables = [model._meta.db_table for model in apps.get_models() if model._meta.app_label != "contenttypes"]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)}")
    return {"truncated": tables}


def main() -> None:
    way = sender()
    for line in sys.stdin:
        command, *arguments = line.split()
        if command == "reset":
            answer = reset()
        elif command == "burst":
            answer = burst(arguments[0], int(arguments[1]), way)
        elif command == "paced":
            answer = paced(arguments[0], int(arguments[1]), float(arguments[2]), way)
        else:
            answer = {"error": f"unknown command {command!r}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()

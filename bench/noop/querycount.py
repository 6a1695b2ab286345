"""Counting SQL statements by kind, in any process, when ``BENCH_COUNT_QUERIES`` is set.

Off by default: a measured run should carry nothing extra. When on, each worker process rewrites
its running totals to ``queries-<pid>.json`` after every task, and the bench adds them up.
psycopg sends BEGIN and COMMIT itself, past Django's cursor: a statement that finds no transaction
open counts as one more ``TRANSACTION`` instead (each costs a BEGIN and a COMMIT round trip).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from psycopg.pq import TransactionStatus

from .stamps import stamp_dir

ENABLED = bool(os.environ.get("BENCH_COUNT_QUERIES"))
counts: Counter[str] = Counter()


def count(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict) -> Any:
    if context["connection"].connection.info.transaction_status == TransactionStatus.IDLE:
        counts["TRANSACTION"] += 1
    counts[sql.lstrip().split(None, 1)[0].upper()] += 1
    return execute(sql, params, many, context)


def install() -> None:
    """Count on every connection this process opens; in a worker, publish totals after each task."""
    from celery.signals import task_postrun
    from django.db.backends.signals import connection_created

    def on_connection(sender: Any, connection: Any, **kwargs: Any) -> None:
        if count not in connection.execute_wrappers:
            connection.execute_wrappers.append(count)

    def after_task(**kwargs: Any) -> None:
        _totals_file(os.getpid()).write_text(json.dumps(counts))

    connection_created.connect(on_connection, weak=False)
    task_postrun.connect(after_task, weak=False)


def worker_totals() -> Counter[str]:
    """What every worker process counted so far."""
    total: Counter[str] = Counter()
    for path in stamp_dir().glob("queries-*.json"):
        total.update(json.loads(path.read_text()))
    return total


def _totals_file(pid: int) -> Path:
    return stamp_dir() / f"queries-{pid}.json"

"""A worker whose database connections were killed opens fresh ones: later work is still handled."""

import pytest
from django.db import connection, transaction

from eventbus import publish
from eventbus.testing import wait_until
from tests.busapp.events import Ping
from tests.eventbus.e2e_helpers import effects_of

pytestmark = [pytest.mark.postgres, pytest.mark.workers]


def kill_other_connections() -> int:
    """What a failover or an operator's pg_terminate_backend does to every other session of this database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_a_worker_reopens_connections_killed_between_tasks(start_worker):
    start_worker()
    with transaction.atomic():
        publish(Ping(n=1), key="before")
    wait_until(lambda: effects_of("busapp.record_ping") == 1, what="the first event handled")

    assert kill_other_connections() >= 1
    with transaction.atomic():
        publish(Ping(n=2), key="after")
    wait_until(lambda: effects_of("busapp.record_ping") == 2, timeout=30, what="an event after the kill handled")

    assert kill_other_connections() >= 1
    with transaction.atomic():
        publish(Ping(n=3), key="and-again")
    wait_until(lambda: effects_of("busapp.record_ping") == 3, timeout=30, what="an event after the second kill")

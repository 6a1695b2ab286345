"""Per-key order is the order in which the events' transactions commit, not their outbox positions."""

import threading

import pytest
from django.db import connection, transaction

from eventbus import publish
from eventbus.models import OutboxEvent
from eventbus.testing import run_pending
from tests.busapp.events import Sequenced
from tests.busapp.models import Effect

# Two transactions writing at once: SQLite has one writer, so only PostgreSQL can interleave them.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_late_committing_transactions_event_runs_after_an_earlier_committed_one():
    published, go_on = threading.Event(), threading.Event()

    def publish_then_wait() -> None:
        try:
            with transaction.atomic():
                publish(Sequenced(n=1), key="k")
                published.set()
                go_on.wait(10)
        finally:
            connection.close()

    slow = threading.Thread(target=publish_then_wait)
    slow.start()
    assert published.wait(10)
    with transaction.atomic():
        publish(Sequenced(n=2), key="k")
    run_pending()  # n=1 is not committed yet: nothing holds n=2 back
    go_on.set()
    slow.join(10)
    run_pending()

    positions = dict(OutboxEvent.objects.values_list("data__n", "id"))
    assert positions[1] < positions[2]
    effects = Effect.objects.filter(subscriber="busapp.record_in_order").order_by("id")
    handled = list(effects.values_list("n", flat=True))
    assert handled == [2, 1]

"""The bench's relay measurement loads its rows with hand-written SQL: it keeps up with the schema."""

import pytest

from bench import relay_speed
from eventbus.models import Delivery, OutboxEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]  # VACUUM runs outside one


def test_finished_history_and_pending_rows_load_and_relay():
    relay_speed.load_finished(20)
    assert OutboxEvent.objects.filter(dispatched_at__isnull=False).count() == 20
    assert Delivery.objects.filter(state=Delivery.State.DONE).count() == 20

    run = relay_speed.over_finished(30, batch=10)

    assert (run.rows, run.batches) == (30, 3)
    assert not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()

"""Every delivery on its own, with real workers: a crash, a hung handler, an older release, one queue."""

from pathlib import Path

import pytest
from django.db import transaction

from eventbus import publish
from eventbus.models import Delivery, OutboxEvent
from eventbus.store import subscriptions
from eventbus.testing import wait_until
from eventbus.topology.subscribers import all_subscribers
from tests.busapp.events import Doom, Ping, Slow
from tests.busapp.models import Effect
from tests.eventbus.e2e_helpers import effects_of, most_effects_of_one_event

pytestmark = pytest.mark.workers
State = Delivery.State


def test_a_handler_that_kills_its_worker_costs_only_its_own_delivery(start_worker):
    start_worker()
    with transaction.atomic():
        for n in range(61):
            publish(Doom(n=n, kill=n == 30), key=f"k{n}")
    killer = OutboxEvent.objects.get(data__kill=True).deliveries
    wait_until(lambda: killer.filter(state=State.DEAD).exists(), timeout=90, what="the killer dead-lettered")
    wait_until(lambda: effects_of("busapp.doom_or_record") == 60, timeout=60, what="the 60 others handled")
    dead = killer.get()
    assert dead.attempts == 3
    assert "worker was lost" in dead.last_error
    others = Delivery.objects.filter(subscriber="busapp.doom_or_record").exclude(id=dead.id)
    assert sorted(others.values_list("state", "attempts").distinct()) == [(State.DONE, 1)]
    assert most_effects_of_one_event("busapp.doom_or_record") == 1


def test_a_slow_handler_holds_up_neither_its_neighbour_nor_its_worker_for_long(start_worker, tmp_path: Path):
    start_worker()
    with transaction.atomic():
        publish(Ping(n=0), key="warm-up")  # both pool processes have opened their connections
    wait_until(lambda: effects_of("busapp.record_ping") == 1, what="the warm-up event")
    marker = tmp_path / "slow.pid"
    with transaction.atomic():
        publish(Slow(marker=str(marker), seconds=10), key="k")
    fast = wait_until(lambda: Effect.objects.filter(subscriber="busapp.answer_at_once").first(), what="the fast one")
    published = OutboxEvent.objects.get(type=Slow.event_type).time
    # Well under the slow one's 2 s time limit (tests' EVENTBUS_HANDLER_TIMEOUT): it did not wait for it.
    # (Not a latency figure: those are measured in make bench; a busy machine may take a few tenths.)
    assert (fast.handled_at - published).total_seconds() < 1.0
    slow = Delivery.objects.filter(subscriber="busapp.answer_after_preparing")
    wait_until(lambda: slow.filter(state=State.DONE).exists(), timeout=30, what="the slow one retried and done")
    assert slow.get().attempts == 2
    assert "HandlerTimeout" in slow.get().last_error
    assert effects_of("busapp.answer_after_preparing") == 1


def test_a_worker_without_a_subscribers_code_relays_to_it_and_never_dead_letters_it(start_worker):
    subscriptions.sync(
        all_subscribers(), authoritative=True
    )  # the new release is migrated: busapp.record_ping is in the topology
    older = start_worker(BUSAPP_LEAVE_OUT="record_ping")
    with transaction.atomic():
        publish(Ping(n=1), key="k")
    waiting = Delivery.objects.filter(subscriber="busapp.record_ping")
    wait_until(waiting.exists, what="the older worker relays the event to the newer subscriber")
    sweeps = older.tasks_succeeded("eventbus.sweep")
    wait_until(lambda: older.tasks_succeeded("eventbus.sweep") >= sweeps + 3, what="three sweeps by the older worker")
    assert waiting.values_list("state", "attempts").get() == (State.PENDING, 0)
    start_worker()
    wait_until(lambda: waiting.filter(state=State.DONE).exists(), what="a worker with the code handles it")
    assert waiting.get().attempts == 1
    assert effects_of("busapp.record_ping") == 1


def test_a_worker_started_for_one_queue_runs_only_that_queues_deliveries(start_worker):
    subscriptions.sync(all_subscribers(), authoritative=True)
    start_worker(queues="eventbus,payments")
    with transaction.atomic():
        publish(Ping(n=1), key="k")
    waiting = Delivery.objects.filter(subscriber="busapp.record_ping")
    wait_until(waiting.exists, what="the event relayed")
    assert waiting.get().state == State.PENDING
    busapp_only = start_worker(queues="busapp", beat=False)
    wait_until(lambda: waiting.filter(state=State.DONE).exists(), what="the busapp worker handles it")
    wait_until(lambda: busapp_only.tasks_succeeded("eventbus.deliver") >= 1, what="its deliver task logged")
    assert busapp_only.tasks_succeeded("eventbus.relay") == 0

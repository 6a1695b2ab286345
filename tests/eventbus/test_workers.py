"""The bus with real Celery worker processes: delivery, retries, duplicates, crashes, order, delays."""

import itertools
import os
import signal
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from eventbus import publish, tasks
from eventbus.models import Delivery, OutboxEvent
from eventbus.testing import relay, wait_until
from tests.busapp.events import Fanout, Hang, Ping, Sequenced
from tests.busapp.models import Effect, Switch
from tests.eventbus.e2e_helpers import effects_of, most_effects_of_one_event, publish_many
from tests.processes import ROOT

pytestmark = pytest.mark.workers
State = Delivery.State


def state_of(subscriber: str) -> str | None:
    return Delivery.objects.filter(subscriber=subscriber).values_list("state", flat=True).first()


def test_an_event_from_a_rolled_back_transaction_is_never_delivered(start_worker):
    start_worker()
    with pytest.raises(RuntimeError), transaction.atomic():
        publish(Ping(n=1), key="k")
        raise RuntimeError("the state change failed")
    with transaction.atomic():
        publish(Ping(n=2), key="k")
    wait_until(lambda: Effect.objects.filter(n=2).exists(), what="the committed event handled")
    assert list(Effect.objects.values_list("n", flat=True)) == [2]
    assert OutboxEvent.objects.count() == 1


def test_fan_out_retries_the_failing_subscriber_with_growing_delays_then_dead_letters_it(start_worker, tmp_path):
    start_worker()
    with transaction.atomic():
        publish(Fanout(n=1), key="k")
    wait_until(lambda: state_of("busapp.fail_until_fixed") == State.DEAD, timeout=30, what="dead letter")

    assert effects_of("busapp.record_fanout") == 1
    dead = Delivery.objects.get(subscriber="busapp.fail_until_fixed")
    assert dead.attempts == 4
    assert "RuntimeError: broken handler refuses event 1" in dead.last_traceback
    attempts = [float(line) for line in (tmp_path / "flaky.log").read_text().split()]
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    assert len(gaps) == 3
    assert all(gap >= ceiling for gap, ceiling in zip(gaps, [0.3, 0.6, 1.2], strict=True)), gaps
    assert gaps[0] < gaps[1] < gaps[2], gaps

    Switch.objects.create(name="fixed")
    call_command("eventbus", "dlq", "retry", "--all")
    wait_until(lambda: state_of("busapp.fail_until_fixed") == State.DONE, what="retried delivery done")
    assert effects_of("busapp.fail_until_fixed") == 1
    assert effects_of("busapp.record_fanout") == 1


def test_the_same_delivery_handed_to_workers_many_times_has_one_effect(start_worker):
    worker = start_worker(beat=False)
    with transaction.atomic():
        publish(Ping(n=1), key="k")
        relay(10)
    for _ in range(10):
        tasks.deliver.apply_async(args=["busapp"], queue="busapp")
        tasks.relay.delay()
    wait_until(lambda: worker.tasks_succeeded("eventbus.deliver") >= 10, what="every duplicate message handled")
    wait_until(lambda: state_of("busapp.record_ping") == State.DONE, what="delivery done")
    assert effects_of("busapp.record_ping") == 1
    assert Delivery.objects.get().attempts == 1


def test_a_worker_process_killed_mid_handler_is_recovered_with_one_effect(start_worker, tmp_path):
    start_worker()
    marker = tmp_path / "handler.pid"
    with transaction.atomic():
        publish(Hang(marker=str(marker)), key="k")
    pid = int(wait_until(lambda: marker.exists() and marker.read_text(), what="the handler to start"))
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: state_of("busapp.hang_first_time") == State.DONE, timeout=60, what="recovered delivery")
    assert effects_of("busapp.hang_first_time") == 1
    assert Delivery.objects.get().attempts == 2


def test_keys_are_handled_in_publish_order_by_two_workers(start_worker):
    start_worker(concurrency=1)
    start_worker(concurrency=1)
    events = [(Sequenced(n=n), f"key-{k}") for n in range(50) for k in range(20)]
    publish_many(events, per_transaction=20)
    wait_until(lambda: effects_of("busapp.record_in_order") == 1000, timeout=180, what="1000 ordered effects")
    for k in range(20):
        seen = list(Effect.objects.filter(key=f"key-{k}").order_by("id").values_list("n", flat=True))
        assert seen == list(range(50)), f"key-{k} saw {seen}"


def test_a_delayed_event_is_handled_no_earlier_than_its_time_and_soon_after(start_worker):
    start_worker()
    deliver_at = timezone.now() + timedelta(seconds=2)
    with transaction.atomic():
        publish(Ping(n=1), key="k", deliver_at=deliver_at)
    effect = wait_until(lambda: Effect.objects.first(), timeout=30, what="the delayed event")
    assert effect.handled_at >= deliver_at
    assert effect.handled_at - deliver_at < timedelta(seconds=1.5)


@pytest.mark.postgres
def test_two_relays_and_two_workers_deliver_ten_thousand_events_exactly_once(start_worker):
    start_worker(concurrency=1)
    start_worker(concurrency=1)
    publish_many([(Ping(n=n), f"k{n % 97}") for n in range(10_000)])
    wait_until(lambda: effects_of("busapp.record_ping") >= 10_000, timeout=300, what="10,000 effects")
    assert effects_of("busapp.record_ping") == 10_000
    assert most_effects_of_one_event("busapp.record_ping") == 1
    assert Delivery.objects.exclude(state=State.DONE).count() == 0
    assert not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()


def publish_pings_in_a_process_of_its_own(env: dict[str, str], count: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "publish_pings", "--count", str(count)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.postgres
def test_publishing_while_the_broker_is_down_loses_nothing(start_worker, private_redis, worker_env):
    on_private_redis = {"CELERY_BROKER_URL": private_redis.url, "EVENTBUS_DOORBELL_REDIS_URL": private_redis.url}
    start_worker(**on_private_redis)
    private_redis.stop()
    publisher = publish_pings_in_a_process_of_its_own({**worker_env, **on_private_redis}, 1000)
    assert publisher.returncode == 0, publisher.stderr
    assert "broker unreachable" in publisher.stderr
    private_redis.start()
    wait_until(lambda: effects_of("busapp.record_ping") >= 1000, timeout=120, what="1000 effects after restart")
    assert effects_of("busapp.record_ping") == 1000
    assert most_effects_of_one_event("busapp.record_ping") == 1


@pytest.mark.postgres
def test_pending_work_survives_a_flushed_broker(start_worker, private_redis):
    import redis

    start_worker(CELERY_BROKER_URL=private_redis.url, EVENTBUS_DOORBELL_REDIS_URL=private_redis.url)
    publish_many([(Ping(n=n), "k") for n in range(1000)], per_transaction=10)
    redis.Redis.from_url(private_redis.url).flushall()
    wait_until(lambda: effects_of("busapp.record_ping") >= 1000, timeout=120, what="1000 effects after a flush")
    assert effects_of("busapp.record_ping") == 1000
    assert most_effects_of_one_event("busapp.record_ping") == 1

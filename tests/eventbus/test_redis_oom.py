"""Redis out of memory: the worker does not stop for good, and the events wait in the database."""

import os
import signal

import pytest
import redis
from django.db import transaction

from config.celery import app
from eventbus import publish
from eventbus.testing import wait_until
from eventbus.transport.checks import eviction_warning
from tests.busapp.events import Ping
from tests.eventbus.e2e_helpers import effects_of
from tests.processes import RedisServer, free_port

pytestmark = pytest.mark.workers


def test_a_worker_goes_on_by_itself_once_redis_has_memory_again(start_worker, private_redis: RedisServer):
    worker = start_worker(CELERY_BROKER_URL=private_redis.url, EVENTBUS_DOORBELL_REDIS_URL="")
    broker = redis.Redis.from_url(private_redis.url)
    with transaction.atomic():
        publish(Ping(n=0), key="warm-up")
    wake_relay(private_redis.url)
    wait_until(lambda: effects_of("busapp.record_ping") == 1, what="the warm-up event")

    assert worker.process is not None
    os.kill(worker.process.pid, signal.SIGSTOP)  # the consumer holds still while a message waits
    try:
        with transaction.atomic():
            for n in range(1, 6):
                publish(Ping(n=n), key=f"k{n}")
        for _ in range(20):  # wake-ups waiting in the queue, to be taken while Redis is out of memory
            wake_relay(private_redis.url)
        broker.config_set("maxmemory", 1)  # every write that needs memory is refused: out of memory
    finally:
        os.kill(worker.process.pid, signal.SIGCONT)
    wait_until(lambda: "OutOfMemoryError" in worker.log.read_text(), what="the worker meets the OOM")
    broker.config_set("maxmemory", 0)

    wait_until(lambda: effects_of("busapp.record_ping") == 6, timeout=60, what="the events once Redis has memory")
    assert worker.process.poll() is None
    assert "Unrecoverable error" not in worker.log.read_text(), worker.log.read_text()[-4000:]


def wake_relay(url: str) -> None:
    with app.connection_for_write(url) as connection:
        app.send_task("eventbus.relay", queue="eventbus", connection=connection, retry=False)


def test_a_broker_redis_that_evicts_keys_is_warned_about(tmp_path):
    evicting = RedisServer(port=free_port(), directory=tmp_path, options=("--maxmemory-policy", "allkeys-lru")).start()
    try:
        warning = eviction_warning(evicting.url)
    finally:
        evicting.stop()
    assert warning is not None
    assert "allkeys-lru" in warning


def test_a_broker_redis_that_never_evicts_is_not_warned_about(private_redis: RedisServer):
    assert eviction_warning(private_redis.url) is None
    assert eviction_warning("filesystem://localhost/") is None

"""The broker transport survives a Redis that was killed under it (make chaos, row redis-crash)."""

import pytest
import redis
from kombu import Connection
from kombu.transport import redis as kombu_redis

from config.redis_broker import Transport
from tests.processes import RedisServer


def channel_that_lost_its_connection(url: str, transport: type) -> tuple[Connection, object]:
    """A channel holding one message unacknowledged, after kombu let go of the connection's parameters."""
    connection = Connection(url, transport=transport)
    queue = connection.SimpleQueue("chaos-wake-ups")
    queue.put({"wake": "up"})
    queue.get(timeout=2)  # taken, not acknowledged
    channel = queue.channel
    channel.connection.client = None  # what kombu's Connection._close leaves behind
    channel._disconnect_pools()
    return connection, channel


def test_a_channel_closed_after_its_connection_went_away_leaves_its_unacked_messages(private_redis: RedisServer):
    connection, channel = channel_that_lost_its_connection(private_redis.url, Transport)

    channel.close()  # kombu's own QoS raises AttributeError here, and Celery calls that unrecoverable

    assert redis.Redis.from_url(private_redis.url).hlen("unacked") == 1
    connection.release()


def test_kombus_own_transport_crashes_there(private_redis: RedisServer):
    """The reason for the subclass: if kombu fixes this, this test fails and the subclass can go."""
    _, channel = channel_that_lost_its_connection(private_redis.url, kombu_redis.Transport)

    with pytest.raises(AttributeError, match="hostname"):
        channel.close()


def acknowledged_after_its_channel_closed(url: str, transport: type) -> tuple[object, object]:
    """A task finishing after the consumer lost Redis and closed the channel that handed it its message."""
    connection = Connection(url, transport=transport)
    queue = connection.SimpleQueue("chaos-wake-ups")
    queue.put({"wake": "up"})
    message = queue.get(timeout=2)
    channel = queue.channel
    channel.close()
    channel._disconnect_pools()  # no pool left, as when Redis had gone before the channel closed
    return connection, message


def test_an_acknowledgement_on_a_closed_channel_is_dropped(private_redis: RedisServer, caplog):
    connection, message = acknowledged_after_its_channel_closed(private_redis.url, Transport)

    message.ack()  # kombu's own QoS raises AttributeError here, and Celery calls that unrecoverable

    assert "acknowledgement on a closed channel not recorded" in caplog.text
    connection.release()


def test_kombus_own_transport_crashes_acknowledging_on_a_closed_channel(private_redis: RedisServer):
    _, message = acknowledged_after_its_channel_closed(private_redis.url, kombu_redis.Transport)

    with pytest.raises(AttributeError, match="client"):
        message.ack()


def taken_with_prefetch_one(url: str, transport: type) -> tuple[object, object]:
    """A message taken by a consumer allowed one unacknowledged message, and Redis then pausing writes."""
    connection = Connection(url, transport=transport, transport_options={"socket_timeout": 0.3})
    queue = connection.SimpleQueue("chaos-wake-ups")
    queue.channel.basic_qos(0, 1, False)
    queue.put({"wake": "up"})
    message = queue.get(timeout=2)
    assert not queue.channel.qos.can_consume()
    redis.Redis.from_url(url).client_pause(2000, all=False)  # writes wait: the acknowledgement times out
    return queue, message


def test_an_acknowledgement_redis_does_not_record_still_frees_the_prefetch_slot(private_redis: RedisServer, caplog):
    """Else a worker with prefetch 1 per process stops fetching for good after two failed acks."""
    queue, message = taken_with_prefetch_one(private_redis.url, Transport)

    message.ack()

    assert "acknowledgement not recorded" in caplog.text
    assert queue.channel.qos.can_consume()
    queue.close()


def test_kombus_own_transport_keeps_the_slot_of_a_failed_acknowledgement(private_redis: RedisServer):
    queue, message = taken_with_prefetch_one(private_redis.url, kombu_redis.Transport)

    with pytest.raises(redis.exceptions.TimeoutError):
        message.ack()
    assert not queue.channel.qos.can_consume()

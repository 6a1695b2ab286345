"""The Redis broker: kombu's transport, made to survive three ways Redis can go away.

**Out of memory.** kombu files Redis' ``OutOfMemoryError`` among the channel errors. When it strikes
the consumer's own write (the unacked record of a message just taken), Celery's consumer logs
"Unrecoverable error" and the worker stops consuming for good. As a connection error, the consumer
reconnects with Celery's back-off and goes on by itself once Redis has memory again. The message
taken then is lost, but it was only a wake-up: the work waits in the database, and the sweep wakes it.

**Killed.** When the connection drops, the consumer closes its channel, and closing puts the
messages it holds unacknowledged back in their queues. By then kombu has let go of the connection's
parameters, so building a client for that raises ``AttributeError`` (kombu issues #582, #970), which
Celery does not count as a connection error: "Unrecoverable error", and the worker process exits
(`make chaos`, row ``redis-crash``, lost both workers this way). With no connection left, the
messages are left where they are, in the unacked set: kombu restores them after the visibility
timeout, and they are wake-ups anyway. A task that finishes after its channel closed acknowledges a
message on a channel with no connection at all, the same ``AttributeError`` (`make chaos`, row
``redis-crash``, 1 run in 8): that acknowledgement is dropped, and the message comes back as one more
wake-up.

**Hung, or refusing writes, while a message is acknowledged.** kombu forgets a message it holds
only once Redis has recorded the acknowledgement. When that write times out (Redis paused) or is
refused (out of memory), the message keeps its prefetch slot for good; with
``worker_prefetch_multiplier = 1`` two such failures leave a ``-c 2`` worker that never fetches
again, alive and silent (`make chaos`, rows ``redis-hang`` and ``redis-oom``, stopped both
workers this way). The slot is now freed whatever Redis answered; a message whose acknowledgement
was lost is handed out again after the visibility timeout, a duplicate wake-up, which costs one
empty round.
"""

from __future__ import annotations

import logging
from typing import Any

from kombu.transport import redis as kombu_redis
from kombu.transport import virtual
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)


class QoS(kombu_redis.QoS):
    def ack(self, delivery_tag: str) -> None:
        if self.channel.connection is None:
            log.warning("acknowledgement on a closed channel not recorded: Redis may hand the message out again")
            virtual.QoS.ack(self, delivery_tag)
            return
        try:
            self._remove_from_indices(delivery_tag).execute()  # type: ignore[attr-defined]
        except (RedisConnectionError, RedisTimeoutError, OutOfMemoryError) as error:
            log.warning("acknowledgement not recorded (%s): slot freed, Redis may hand the message out again", error)
        virtual.QoS.ack(self, delivery_tag)

    def restore_unacked(self, client: Any = None) -> None:
        if client is None and self.channel.connection.client is None:
            log.warning(
                "broker connection gone: %d unacknowledged message(s) stay for kombu to restore later",
                len(self._delivered or ()),
            )
            return
        super().restore_unacked(client)


class Channel(kombu_redis.Channel):
    QoS = QoS


class Transport(kombu_redis.Transport):
    Channel = Channel
    connection_errors = (*kombu_redis.Transport.connection_errors, OutOfMemoryError)

"""The Redis broker: kombu's transport, with a Redis out of memory treated as a lost connection.

kombu files Redis' ``OutOfMemoryError`` among the channel errors. When it strikes the consumer's
own write (the unacked record of a message just taken), Celery's consumer logs "Unrecoverable
error" and the worker stops consuming for good. As a connection error, the consumer reconnects
with Celery's back-off and goes on by itself once Redis has memory again. The message taken then
is lost, but it was only a wake-up: the work waits in the database, and the sweep wakes it.
"""

from kombu.transport import redis as kombu_redis
from redis.exceptions import OutOfMemoryError


class Transport(kombu_redis.Transport):
    connection_errors = (*kombu_redis.Transport.connection_errors, OutOfMemoryError)

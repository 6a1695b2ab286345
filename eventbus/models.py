"""The bus's tables: the transactional outbox, the subscriptions, one delivery per (event, subscriber)."""

from django.db import models
from django.db.models import Q


class OutboxEvent(models.Model):
    """One published event, written in its publisher's transaction; ``id`` is its publish position."""

    event_id = models.UUIDField(unique=True)
    source = models.CharField(max_length=200)
    type = models.CharField(max_length=200)
    version = models.PositiveIntegerField()
    key = models.CharField(max_length=200)
    time = models.DateTimeField()
    data = models.JSONField()
    correlation_id = models.CharField(max_length=200)
    causation_id = models.UUIDField(null=True, blank=True)
    traceparent = models.CharField(max_length=100, blank=True, default="")
    tracestate = models.CharField(max_length=500, blank=True, default="")
    baggage = models.CharField(max_length=8192, blank=True, default="")
    deliver_at = models.DateTimeField()
    dispatched_at = models.DateTimeField(null=True, blank=True)
    received_from = models.CharField(
        max_length=100, blank=True, default="", help_text="The service it came from; empty if published here."
    )

    class Meta:
        db_table = "eventbus_outbox"
        verbose_name = "outbox event"
        indexes = [
            models.Index(
                fields=["deliver_at", "id"],
                condition=Q(dispatched_at__isnull=True),
                name="eventbus_outbox_undispatched",
            ),
            models.Index(
                fields=["key", "id"],
                condition=Q(dispatched_at__isnull=True),
                name="eventbus_outbox_undisp_key",
            ),
            models.Index(fields=["correlation_id"], name="eventbus_outbox_correlation"),
            models.Index(fields=["time"], name="eventbus_outbox_time"),
        ]

    def __str__(self) -> str:
        return f"{self.type} v{self.version} {self.event_id}"


class Subscription(models.Model):
    """A subscriber as data every process sees: the relay fans out from these rows, not from imports.

    Written from the code's ``@subscribe`` declarations by ``migrate`` (which also retires the ones
    gone from the code) and by each worker at start-up (which only adds); paused by an operator.
    """

    id = models.CharField(max_length=200, primary_key=True)
    event_type = models.CharField(max_length=200)
    queue = models.CharField(max_length=100)
    ordered = models.BooleanField(default=False)
    max_attempts = models.PositiveIntegerField()
    timeout_seconds = models.FloatField()
    publishes = models.JSONField(default=list, blank=True)
    registered_at = models.DateTimeField()
    retired_at = models.DateTimeField(null=True, blank=True, help_text="Gone from the code at the last migrate.")
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_reason = models.CharField(max_length=500, blank=True, default="")
    forward_to = models.CharField(
        max_length=500, blank=True, default="", help_text="A forwarding subscription: the services it sends to."
    )

    class Meta:
        db_table = "eventbus_subscription"
        indexes = [models.Index(fields=["event_type"], name="eventbus_subscription_type")]

    def __str__(self) -> str:
        return self.id


class Delivery(models.Model):
    """The handling of one event by one subscriber: its state, attempts and last error."""

    class State(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        DEAD = "dead"
        DISCARDED = "discarded"

    # No index of its own: the unique (event, subscriber) constraint's index leads with it.
    event = models.ForeignKey(OutboxEvent, on_delete=models.DB_CASCADE, related_name="deliveries", db_index=False)
    subscriber = models.CharField(max_length=200)
    key = models.CharField(max_length=200)
    ordered = models.BooleanField(default=False)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    available_at = models.DateTimeField()
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.FloatField(null=True, blank=True, help_text="How long the last attempt's handler ran.")
    last_error = models.TextField(blank=True, default="")
    last_traceback = models.TextField(blank=True, default="")

    class Meta:
        db_table = "eventbus_delivery"
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["event", "subscriber"], name="eventbus_delivery_once"),
        ]
        indexes = [
            models.Index(
                fields=["available_at", "id"],
                condition=Q(state="pending"),
                name="eventbus_delivery_due",
            ),
            models.Index(
                fields=["lease_expires_at"],
                condition=Q(state="running"),
                name="eventbus_delivery_leased",
            ),
            models.Index(
                fields=["claim_token"],
                condition=Q(state="running"),
                name="eventbus_delivery_claimed",
            ),
            models.Index(
                fields=["subscriber", "key", "event"],
                condition=Q(ordered=True, state__in=["pending", "running", "dead"]),
                name="eventbus_delivery_key_open",
            ),
            models.Index(fields=["state", "subscriber"], name="eventbus_delivery_state"),
            models.Index(fields=["finished_at"], name="eventbus_delivery_finished"),
        ]

    def __str__(self) -> str:
        return f"{self.subscriber} ← {self.event_id} ({self.state})"


class DeliveryAttempt(models.Model):
    """One attempt of a delivery's handler: when, how long, and how it ended (its error, if any).

    Written by the store with the outcome it records (``eventbus.store.delivering``): a success in
    the handler's own transaction, a failure with the delivery's new state. The delivery keeps only
    its latest error; here is every attempt's, so a recovered delivery shows its failures as past.
    Deleted with its delivery by the database (ON DELETE CASCADE): a purge deletes deliveries in SQL
    alone, without reading them first.
    """

    class Outcome(models.TextChoices):
        DONE = "done"  # the handler committed (its duration is recorded after its batch)
        FAILED = "failed"  # it raised; the delivery waits for a retry
        TIMEOUT = "timeout"  # it ran past its subscriber's time limit; retried
        DEAD = "dead"  # it failed with no attempt left, or permanently: dead-lettered
        LOST = "lost"  # its worker was lost (the lease expired during the attempt)

    delivery = models.ForeignKey(Delivery, on_delete=models.DB_CASCADE, related_name="attempt_history")
    number = models.PositiveIntegerField(help_text="Its delivery's attempt count (a retry starts at 1).")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.FloatField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "eventbus_delivery_attempt"
        ordering = ["delivery", "started_at", "id"]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}: {self.outcome}"


class DeadLetter(Delivery):
    """Dead-lettered deliveries, as their own admin page."""

    class Meta:
        proxy = True
        verbose_name = "dead letter"


class InboxRejection(models.Model):
    """A message the inbox could not take (not a CloudEvents envelope this code reads), kept with its
    reason instead of crash-looping the consumer; the broker's copy is acknowledged."""

    received_at = models.DateTimeField(db_index=True)
    queue = models.CharField(max_length=200)
    reason = models.TextField()
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField(help_text="As received (sensitive fields travel sealed), cut at 64 KiB.")

    class Meta:
        db_table = "eventbus_inbox_rejection"
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.received_at:%Y-%m-%d %H:%M:%S} {self.queue}: {self.reason[:80]}"


class OperatorAction(models.Model):
    """The audit trail: every retry, discard, replay, backfill, pause, resume, purge and key rotation an
    operator made, from the admin, the command line or the API, and what contexts record (an operator's
    cancellation): who, when, through which door, what, on what, and why. Never changed nor deleted."""

    at = models.DateTimeField(db_index=True)
    operator = models.CharField(max_length=150, help_text="A user name; cli:<system user> from the command line.")
    via = models.CharField(max_length=16, help_text="admin, cli or api")
    action = models.CharField(max_length=64)
    target = models.TextField(help_text="What it acted on: delivery ids, a subscriber, an order.")
    count = models.PositiveIntegerField(null=True, blank=True, help_text="How many rows it changed.")
    reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "operator action"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.operator} {self.action} {self.target}"


class WorkerHeartbeat(models.Model):
    """A worker's sign of life, written by the worker itself every ``EVENTBUS_HEARTBEAT_SECONDS``: which
    queues it consumes and how many tasks it took. A row not written for an hour is pruned."""

    name = models.CharField(max_length=200, help_text="The Celery node name, e.g. celery@host.")
    pid = models.PositiveIntegerField()
    queues = models.JSONField(default=list, blank=True)
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    processed = models.PositiveBigIntegerField(default=0, help_text="Tasks this worker has taken since it started.")

    class Meta:
        db_table = "eventbus_worker_heartbeat"
        constraints = [models.UniqueConstraint(fields=["name", "pid"], name="eventbus_worker_once")]
        indexes = [models.Index(fields=["last_seen_at"], name="eventbus_worker_seen")]

    def __str__(self) -> str:
        return f"{self.name} (pid {self.pid})"

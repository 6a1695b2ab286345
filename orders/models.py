"""The orders context's tables: an order, its lines, its status and why it was cancelled.

An order also keeps what it heard of its payment and its shipment (from those contexts' events),
so that it can tell its whole story without reading another context's tables.
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from uuid6 import uuid7


class PaymentNews(models.TextChoices):
    """The latest of its payment's news that reached the order."""

    CAPTURED = "captured"
    FAILED = "failed"
    REFUNDED = "refunded"


class ShipmentNews(models.TextChoices):
    """The latest of its shipment's news that reached the order."""

    BOOKED = "booked"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DISPATCHED = "dispatched"


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        PAID = "paid"
        CONFIRMED = "confirmed"
        SHIPPED = "shipped"
        CANCELLED = "cancelled"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    currency = models.CharField(max_length=3)
    total = models.DecimalField(max_digits=12, decimal_places=2, help_text="What is charged: net plus tax")
    tax_total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    shipping_address = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    cancel_reason = models.CharField(max_length=64, blank=True, default="")
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    cancel_requested_reason = models.CharField(max_length=64, blank=True, default="")
    cancel_requested_by = models.CharField(
        max_length=150, blank=True, default="", help_text="The staff user who asked, for an operator's cancellation"
    )
    stalled_at = models.DateTimeField(
        null=True, blank=True, help_text="When a saga deadline handed this order to an operator"
    )
    stalled_reason = models.CharField(max_length=64, blank=True, default="")
    cancel_refused_reason = models.CharField(max_length=64, blank=True, default="")
    payment_due_by = models.DateTimeField()
    payment_status = models.CharField(max_length=16, choices=PaymentNews.choices, blank=True, default="")
    amount_paid = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    amount_refunded = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    shipment_status = models.CharField(max_length=16, choices=ShipmentNews.choices, blank=True, default="")
    carrier_reference = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "status"], name="orders_customer_status")]
        permissions = [("cancel_order", "Can ask to cancel an order from admin")]

    def __str__(self) -> str:
        return f"order {self.id} ({self.status})"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(max_length=64)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, help_text="Net, per unit")
    tax_rate = models.DecimalField(max_digits=5, decimal_places=4, default=0)
    tax = models.DecimalField(max_digits=12, decimal_places=2, default=0, help_text="The line's tax")

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"


class CatalogEntry(models.Model):
    """Orders' own copy of a catalogue product, kept from the catalog's events: the price list orders use.

    Only the newest revision is kept, whatever order the events arrive in.
    """

    sku = models.CharField(max_length=64, primary_key=True)
    name = models.CharField(max_length=200)
    price = models.DecimalField(max_digits=10, decimal_places=2, help_text="Net, per unit")
    currency = models.CharField(max_length=3)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=4)
    listed = models.BooleanField()
    revision = models.PositiveIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "catalogue entries"
        ordering = ["sku"]

    def __str__(self) -> str:
        return f"{self.sku} {self.price} {self.currency}{'' if self.listed else ' (delisted)'}"


class IdempotencyKey(models.Model):
    """A client's Idempotency-Key for placing an order: the request it came with and the answer given.

    ``owner`` fences the request holding an in-flight key: only it may record the answer, so a
    request that took over a key abandoned by a crashed one cannot race it into a second order.
    """

    class State(models.TextChoices):
        IN_FLIGHT = "in_flight"
        COMPLETED = "completed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_FLIGHT)
    owner = models.UUIDField()
    locked_until = models.DateTimeField()
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="orders_idempotency_key_once")]
        indexes = [models.Index(fields=["created_at"], name="orders_idempotency_created")]

    def __str__(self) -> str:
        return f"idempotency key {self.key!r} of user {self.user_id} ({self.state})"

"""The shipping context's table: one shipment per order."""

from django.db import models


class Shipment(models.Model):
    class Status(models.TextChoices):
        AWAITING_PAYMENT = "awaiting_payment"
        BOOKED = "booked"
        FAILED = "failed"
        CANCELLED = "cancelled"
        DISPATCHED = "dispatched"

    order_id = models.UUIDField(unique=True)
    customer_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    address = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices)
    carrier_reference = models.CharField(max_length=64, blank=True, default="")
    failure_reason = models.CharField(max_length=200, blank=True, default="")
    cancel_request_answer = models.CharField(max_length=20, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"shipment for {self.order_id} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in {self.Status.BOOKED, self.Status.DISPATCHED}

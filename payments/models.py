"""The payments context's tables: one payment per order, and its refunds."""

from django.db import models


class Payment(models.Model):
    class Status(models.TextChoices):
        CHARGING = "charging"  # the provider has been asked; its answer is not recorded yet
        CAPTURED = "captured"
        FAILED = "failed"
        REFUNDED = "refunded"
        VOIDED = "voided"

    order_id = models.UUIDField(unique=True)
    customer_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices)
    provider_charge_id = models.CharField(max_length=64, blank=True, default="")
    failure_reason = models.CharField(max_length=200, blank=True, default="")
    # Set when the order was cancelled while its charge was in flight: the charge refunds itself.
    refund_reason = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"payment for {self.order_id} ({self.status})"


class Refund(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    provider_refund_id = models.CharField(max_length=64)
    reason = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"refund {self.provider_refund_id} of {self.amount}"

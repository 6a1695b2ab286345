"""The orders API's shapes: what a client sends to place an order, and what it reads back."""

from __future__ import annotations

import re
from typing import Any

from django.db import models
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils.serializer_helpers import ReturnList

from common import iso_codes
from eventbus import Progress, TimelineEvent

from . import events, services
from .models import CatalogEntry, Order, OrderLine

WANTED_FIELDS = {"sku", "quantity"}


class WantedLineSerializer(serializers.Serializer):
    """A line to order: the sku and how many. Prices and tax are the shop's, from its price list."""

    sku = serializers.CharField(max_length=64, help_text="A product on sale (GET /api/products/)")
    quantity = serializers.IntegerField(min_value=1, max_value=10_000)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, dict) and (extra := sorted(set(data) - WANTED_FIELDS)):
            raise serializers.ValidationError(
                {name: ["Not accepted: the shop sets prices and tax; send sku and quantity."] for name in extra}
            )
        return super().to_internal_value(data)


class OrderLineSerializer(serializers.ModelSerializer):
    """A line of a placed order, priced by the shop."""

    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="Net, per unit")
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=4, help_text="0.19 for 19 %")
    tax = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="The line's tax")

    class Meta:
        model = OrderLine
        fields = ["sku", "quantity", "unit_price", "tax_rate", "tax"]


class ShippingAddressSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    line1 = serializers.CharField(max_length=200)
    city = serializers.CharField(max_length=100)
    postal_code = serializers.CharField(max_length=20)
    country = iso_codes.CountryField(help_text="ISO 3166-1 alpha-2, e.g. DE (GB for the United Kingdom)")


class OrderPlacementSerializer(serializers.Serializer):
    currency = iso_codes.CurrencyField(
        required=False,
        help_text="ISO 4217, e.g. EUR: the products' currency, which it must match; left out, the products'",
    )
    # DRF's ListSerializer takes max_length (3.14+); its stubs do not list it yet.
    lines = WantedLineSerializer(many=True, allow_empty=False, max_length=100)  # type: ignore[call-arg]
    shipping_address = ShippingAddressSerializer()
    payment_token = serializers.CharField(max_length=64, help_text="The payment provider's card token")

    def command(self) -> dict[str, Any]:
        """The validated body as order_place() keyword arguments."""
        data = self.validated_data
        return {
            "currency": data.get("currency"),
            "lines": [services.Wanted(sku=line["sku"], quantity=line["quantity"]) for line in data["lines"]],
            "shipping_address": events.ShippingAddress(**data["shipping_address"]),
            "payment_token": data["payment_token"],
        }


class OrderSerializer(serializers.ModelSerializer):
    reason = serializers.CharField(source="cancel_reason", help_text="Why the order was cancelled; empty otherwise")
    total = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="What is charged, tax included")
    tax_total = serializers.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        model = Order
        fields = ["id", "status", "reason", "currency", "total", "tax_total", "created_at", "updated_at"]
        read_only_fields = fields


class CancelRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=500,
        help_text="Staff cancelling a customer's order: why, kept in the audit trail",
    )


class CancellationSerializer(serializers.Serializer):
    requested_at = serializers.DateTimeField(source="cancel_requested_at", allow_null=True)
    requested_reason = serializers.CharField(source="cancel_requested_reason")
    refused_reason = serializers.CharField(
        source="cancel_refused_reason", help_text="Set when shipping could no longer stop the parcel"
    )


class PaymentSummarySerializer(serializers.Serializer):
    status = serializers.CharField(source="payment_status", help_text="captured, failed, refunded, or empty")
    amount_paid = serializers.DecimalField(max_digits=12, decimal_places=2)
    amount_refunded = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()


class ShipmentSummarySerializer(serializers.Serializer):
    status = serializers.CharField(
        source="shipment_status", help_text="booked, failed, cancelled, dispatched, or empty"
    )
    carrier_reference = serializers.CharField()


class DeliveryStepSerializer(serializers.Serializer):
    subscriber = serializers.CharField()
    service = serializers.CharField(help_text="The service that ran it, in a split deployment; empty: this one")
    state = serializers.CharField()
    attempts = serializers.IntegerField()
    last_error = serializers.CharField()
    duration_ms = serializers.FloatField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class StepStatus(models.TextChoices):
    """Where a step of the saga stands, in a customer's terms."""

    SCHEDULED = "scheduled"  # a deadline, not yet due
    IN_PROGRESS = "in_progress"  # being handled, or retried after a passing failure
    DELAYED = "delayed"  # stopped on our side; an operator has been told
    DONE = "done"


STEP_STATUS = {
    Progress.SCHEDULED: StepStatus.SCHEDULED,
    Progress.OPEN: StepStatus.IN_PROGRESS,
    Progress.STOPPED: StepStatus.DELAYED,
    Progress.FINISHED: StepStatus.DONE,
}


class TimelineStepSerializer(serializers.Serializer):
    """A step of the saga as its customer sees it: what happened and where it stands, no internals."""

    id = serializers.UUIDField()
    type = serializers.CharField(help_text="The event, e.g. payments.PaymentSucceeded")
    step = serializers.SerializerMethodField(help_text="The event in words, e.g. Payment succeeded")
    status = serializers.SerializerMethodField()
    time = serializers.DateTimeField()
    deliver_at = serializers.DateTimeField()
    causation_id = serializers.UUIDField(allow_null=True)
    depth = serializers.IntegerField(help_text="How many causes lead back to the saga's first event")

    def get_step(self, event: TimelineEvent) -> str:
        words = re.sub(r"(?<!^)(?=[A-Z])", " ", event.type.rsplit(".", 1)[-1])
        return words[:1] + words[1:].lower()

    @extend_schema_field(serializers.ChoiceField(choices=StepStatus.choices))
    def get_status(self, event: TimelineEvent) -> str:
        return STEP_STATUS[event.progress(self.context["now"])].value


class TimelineEventSerializer(TimelineStepSerializer):
    """A step as staff see it: also the event's version and every subscriber's delivery."""

    version = serializers.IntegerField(required=False, help_text="Staff only")
    deliveries = DeliveryStepSerializer(many=True, required=False, help_text="Staff only")


class OrderDetailSerializer(OrderSerializer):
    lines = OrderLineSerializer(many=True)
    shipping_address = ShippingAddressSerializer()
    cancellation = CancellationSerializer(source="*")
    payment = PaymentSummarySerializer(source="*")
    shipment = ShipmentSummarySerializer(source="*")
    timeline = serializers.SerializerMethodField()

    class Meta(OrderSerializer.Meta):
        fields = [
            *OrderSerializer.Meta.fields,
            "lines",
            "shipping_address",
            "payment_due_by",
            "cancellation",
            "payment",
            "shipment",
            "timeline",
        ]
        read_only_fields = fields

    @extend_schema_field(TimelineEventSerializer(many=True))
    def get_timeline(self, order: Order) -> ReturnList[Any]:
        """Staff with the view permission see each delivery (subscriber, attempts, errors); a customer
        sees the business steps and where each stands."""
        child = TimelineEventSerializer if self.context["staff_view"] else TimelineStepSerializer
        steps = serializers.ListSerializer(self.context["timeline"], child=child(), context={"now": timezone.now()})
        return steps.data


class ProductSerializer(serializers.ModelSerializer):
    price = serializers.DecimalField(max_digits=10, decimal_places=2, help_text="Net, per unit")
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=4, help_text="0.19 for 19 %")

    class Meta:
        model = CatalogEntry
        fields = ["sku", "name", "price", "currency", "tax_rate"]

"""The payments REST API: read-only, filtered by order."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from common.api import READ_ERRORS, field_errors

from . import selectors
from .models import Payment, Refund

FieldErrors = field_errors("Malformed filter, by field")


class RefundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Refund
        fields = ["amount", "reason", "provider_refund_id", "created_at"]


class PaymentSerializer(serializers.ModelSerializer):
    order = serializers.UUIDField(source="order_id")
    refunds = RefundSerializer(many=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "order",
            "status",
            "amount",
            "currency",
            "provider_charge_id",
            "failure_reason",
            "refunds",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PaymentFilter(django_filters.FilterSet):
    order = django_filters.UUIDFilter(field_name="order_id", help_text="The order's id")

    class Meta:
        model = Payment
        fields = ["order"]


@extend_schema_view(
    list=extend_schema(
        summary="Payments the caller may see", responses={200: PaymentSerializer, **FieldErrors, **READ_ERRORS}
    ),
    retrieve=extend_schema(summary="One payment and its refunds", responses={200: PaymentSerializer, **READ_ERRORS}),
)
class PaymentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter

    def get_queryset(self) -> QuerySet[Payment]:
        return selectors.payment_list(user=self.request.user)

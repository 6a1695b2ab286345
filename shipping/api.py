"""The shipments REST API: read-only, filtered by order."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from common.api import READ_ERRORS, field_errors

from . import selectors
from .models import Shipment

FieldErrors = field_errors("Malformed filter, by field")


class ShipmentSerializer(serializers.ModelSerializer):
    order = serializers.UUIDField(source="order_id")

    class Meta:
        model = Shipment
        fields = [
            "id",
            "order",
            "status",
            "carrier_reference",
            "failure_reason",
            "address",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ShipmentFilter(django_filters.FilterSet):
    order = django_filters.UUIDFilter(field_name="order_id", help_text="The order's id")

    class Meta:
        model = Shipment
        fields = ["order"]


@extend_schema_view(
    list=extend_schema(
        summary="Shipments the caller may see", responses={200: ShipmentSerializer, **FieldErrors, **READ_ERRORS}
    ),
    retrieve=extend_schema(summary="One shipment", responses={200: ShipmentSerializer, **READ_ERRORS}),
)
class ShipmentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ShipmentSerializer
    filterset_class = ShipmentFilter

    def get_queryset(self) -> QuerySet[Shipment]:
        return selectors.shipment_list(user=self.request.user)

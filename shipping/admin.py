"""Admin for shipments: read-only; parcels move only through the shipping services."""

from django.contrib import admin

from common.admin import ReadOnlyAdmin

from .models import Shipment


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyAdmin):
    list_display = ["order_id", "status", "carrier_reference", "cancel_request_answer", "created_at"]
    list_filter = ["status", "cancel_request_answer"]
    search_fields = ["=order_id", "=carrier_reference"]
    date_hierarchy = "created_at"

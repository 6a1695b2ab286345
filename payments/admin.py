"""Admin for payments: read-only; money moves only through the payments services."""

from django.contrib import admin
from django.http import HttpRequest

from common.admin import ReadOnlyAdmin

from .models import Payment, Refund


class RefundInline(admin.TabularInline):
    model = Refund
    fields = ["amount", "reason", "provider_refund_id", "created_at"]
    readonly_fields = ["amount", "reason", "provider_refund_id", "created_at"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["order_id", "status", "amount", "currency", "provider_charge_id", "created_at"]
    list_filter = ["status", "currency"]
    search_fields = ["=order_id", "=provider_charge_id"]
    date_hierarchy = "created_at"
    inlines = [RefundInline]

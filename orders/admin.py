"""Admin for orders: read-only, with each order's saga timeline; state changes only through services."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from common.admin import ReadOnlyAdmin
from eventbus import Operator, in_time_order, saga_chart, saga_health

from . import saga_summary, selectors, services
from .admin_list import NeedsAttentionFilter, OrderListColumns, stuck_count, stuck_report
from .models import CatalogEntry, Order, OrderLine


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    fields = ["sku", "quantity", "unit_price"]
    readonly_fields = ["sku", "quantity", "unit_price"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.action(description="Ask to cancel (recorded as yours)", permissions=["cancel"])
def request_cancellation(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Order]) -> None:
    asked, refused = 0, []
    operator = Operator(request.user.get_username(), via="admin")
    for order in queryset:
        try:
            services.order_cancel(order_id=order.id, operator=operator)
            asked += 1
        except services.OrderCannotBeCancelled as error:
            refused.append(f"{order.id} ({error.reason})")
    modeladmin.message_user(request, f"Cancellation requested for {asked} order(s).", messages.SUCCESS)
    if refused:
        modeladmin.message_user(request, f"Too late for: {', '.join(refused)}.", messages.WARNING)


REFRESH_SECONDS = 2
"""While a step of the saga runs or is due within seconds (after a Retry, say), its page reloads this often."""


@admin.register(Order)
class OrderAdmin(OrderListColumns, ReadOnlyAdmin):
    list_display = ["order_id", "state", "needs_attention", "payment", "shipment", "placed", "customer"]
    list_display_links = ["order_id"]
    list_filter = [
        NeedsAttentionFilter,
        "status",
        "cancel_reason",
        "stalled_reason",
        "payment_status",
        "shipment_status",
    ]
    search_fields = ["=id", "customer__username", "customer__email"]
    list_select_related = ["customer"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline]
    actions = [request_cancellation]
    change_form_template = "admin/orders/order/change_form.html"
    change_list_template = "admin/orders/order/change_list.html"

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.cancel_order")

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra_context = {**(extra_context or {}), "stuck_count": stuck_count(stuck_report(request))}
        return super().changelist_view(request, extra_context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        order = self.get_object(request, object_id)
        if order is not None:
            extra_context = {**(extra_context or {}), **self._saga_context(request, order)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _saga_context(self, request: HttpRequest, order: Order) -> dict[str, Any]:
        """The saga above the fields: its summary and picture; its table (in time order) below them."""
        events = selectors.order_timeline(order.id, across_services=True)
        now = timezone.now()
        health = saga_health(events)
        return {
            "summary": saga_summary.summarize(order, health, now=now),
            "refresh_seconds": REFRESH_SECONDS if health.settling(now) else None,
            "chart": saga_chart(events, compensating=saga_summary.COMPENSATING),
            "timeline": in_time_order(events),
            "saga_start": min((event.time for event in events), default=None),
            "return_to": request.get_full_path(),
            "may_act_on_deliveries": request.user.has_perm("eventbus.change_delivery"),
            "links": {
                "payment": _changelist("payments", "payment", f"order_id={order.id}"),
                "shipment": _changelist("shipping", "shipment", f"order_id={order.id}"),
                "deliveries": f"{reverse('admin:eventbus_delivery_changelist')}?key={order.id}",
                "outbox": f"{reverse('admin:eventbus_outboxevent_changelist')}?correlation_id={order.id}",
                "flow": reverse("eventbus-flow"),
            },
        }


def _changelist(app_label: str, model: str, query: str) -> str:
    """Another context's admin list: here when it runs here, else on its service (CONTEXT_ADMIN_URLS), else ""."""
    try:
        return f"{reverse(f'admin:{app_label}_{model}_changelist')}?{query}"
    except NoReverseMatch:
        base = settings.CONTEXT_ADMIN_URLS.get(app_label, "")
        return f"{base.rstrip('/')}/{app_label}/{model}/?{query}" if base else ""


@admin.register(CatalogEntry)
class CatalogEntryAdmin(ReadOnlyAdmin):
    """Orders' price list: a copy kept from the catalogue's events; products are edited in the catalogue."""

    list_display = ["sku", "name", "price", "currency", "tax_rate", "listed", "revision", "updated_at"]
    list_filter = ["listed", "currency"]
    search_fields = ["sku", "name"]

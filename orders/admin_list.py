"""The order list's columns and filter: what needs attention (dead, stalled, stuck, retrying), payment, shipment.

The bus's facts for a page are read once for the page's orders (``OrderChangeList``), never per row,
so the list costs the same number of queries whatever its length.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from . import stuck
from .models import Order

SHOWN_REASON = 60  # characters of the reason in the column; the whole of it is the link's title


class OrderChangeList(ChangeList):
    """After the page's orders are read, their "needs attention" flags, in one query to the bus."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        orders = list(self.result_list)
        found = stuck.flags(orders)
        for order in orders:
            order.attention_flag = found.get(order.id)


class NeedsAttentionFilter(admin.SimpleListFilter):
    title = "needs attention"
    parameter_name = "attention"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [
            (stuck.Attention.STUCK, "stuck (any reason)"),
            (stuck.Attention.DEAD, "dead letter"),
            (stuck.Attention.STALLED, "stalled"),
            (stuck.Attention.RETRYING, "retrying"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Order]) -> QuerySet[Order]:
        value = self.value()
        if value is None or value not in stuck.Attention.values:
            return queryset
        return stuck.needing_attention(queryset, stuck.Attention(value))


class OrderListColumns:
    """The order list's computed columns, for ``OrderAdmin``."""

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return OrderChangeList

    @admin.display(description="needs attention")
    def needs_attention(self, order: Order) -> SafeString | str:
        flag: stuck.Flag | None = getattr(order, "attention_flag", None)
        if flag is None:
            return ""
        text = flag.text if len(flag.text) <= SHOWN_REASON else flag.text[: SHOWN_REASON - 1] + "…"
        badge = format_html('<span class="attention attention-{}">{}</span>', flag.attention, flag.attention.label)
        if not flag.link:
            return format_html('{} <span class="attention-why">{}</span>', badge, text)
        return format_html('{} <a class="attention-why" href="{}" title="{}">{}</a>', badge, flag.link, flag.text, text)

    @admin.display(description="status", ordering="status")
    def state(self, order: Order) -> SafeString:
        if order.cancel_reason:
            return format_html('{} <span class="quiet">{}</span>', order.status, order.cancel_reason)
        return format_html("{}", order.status)

    @admin.display(description="payment", ordering="payment_status")
    def payment(self, order: Order) -> SafeString:
        money = []
        if order.amount_paid:
            money.append(f"paid {order.amount_paid}")
        if order.amount_refunded:
            money.append(f"back {order.amount_refunded}")
        return _news(order.payment_status, ", ".join(money))

    @admin.display(description="shipment", ordering="shipment_status")
    def shipment(self, order: Order) -> SafeString:
        return _news(order.shipment_status, order.carrier_reference)

    @admin.display(description="total", ordering="total")
    def amount(self, order: Order) -> str:
        return f"{order.total} {order.currency}"


def _news(status: str, details: str) -> SafeString:
    if not status:
        return format_html('<span class="quiet">{}</span>', "none yet")
    if not details:
        return format_html("{}", status)
    return format_html('{} <span class="quiet">{}</span>', status, details)

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
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from . import stuck
from .models import Order

ID_BREAK = 19  # the order id wraps after its third group, and only there: two short lines


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

    @admin.display(description="order", ordering="id")
    def order_id(self, order: Order) -> SafeString:
        """The whole id (to copy, or to search by), in two lines that break nowhere else."""
        text = str(order.id)
        return format_html(
            '<span class="order-id" title="{}"><span>{}</span><wbr><span>{}</span></span>',
            text,
            text[:ID_BREAK],
            text[ID_BREAK:],
        )

    @admin.display(description="needs attention")
    def needs_attention(self, order: Order) -> SafeString | str:
        flag: stuck.Flag | None = getattr(order, "attention_flag", None)
        if flag is None:
            return ""
        badge = format_html('<span class="attention attention-{}">{}</span>', flag.attention, flag.attention.label)
        short = _breakable(flag.short)
        if not flag.link:
            return format_html('{} <span class="attention-why" title="{}">{}</span>', badge, flag.why, short)
        return format_html('{} <a class="attention-why" href="{}" title="{}">{}</a>', badge, flag.link, flag.why, short)

    @admin.display(description="status", ordering="status")
    def state(self, order: Order) -> SafeString:
        if order.cancel_reason:
            return format_html('{} <span class="quiet">{}</span>', order.status, order.cancel_reason)
        return format_html("{}", order.status)

    @admin.display(description="payment", ordering="payment_status")
    def payment(self, order: Order) -> SafeString:
        """Its news, then the money: the total when all of it was paid, else what was paid of it; refunds below."""
        if order.amount_paid == order.total:
            money = f"{order.total} {order.currency}"
        else:
            money = f"paid {order.amount_paid} of {order.total} {order.currency}"
        paid = format_html('{} <span class="quiet nowrap">{}</span>', order.payment_status or "none yet", money)
        if not order.amount_refunded:
            return paid
        return format_html('{}<span class="quiet nowrap">refunded {}</span>', paid, order.amount_refunded)

    @admin.display(description="placed", ordering="created_at")
    def placed(self, order: Order) -> SafeString:
        return format_html(
            '<span class="placed">{}</span><span class="quiet">{}</span>',
            f"{order.created_at:%Y-%m-%d}",
            f"{order.created_at:%H:%M:%S}",
        )

    @admin.display(description="shipment", ordering="shipment_status")
    def shipment(self, order: Order) -> SafeString:
        if not order.shipment_status:
            return format_html('<span class="quiet">{}</span>', "none yet")
        return format_html('<span title="{}">{}</span>', order.carrier_reference, order.shipment_status)


def _breakable(text: str) -> SafeString:
    """The text, escaped, that may wrap after each dot of a subscriber's name (``shipping.book_shipment``)."""
    return mark_safe(".<wbr>".join(escape(part) for part in text.split(".")))  # each part is escaped

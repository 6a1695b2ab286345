"""The order list's columns and filter: what needs attention (dead, stalled, stuck, retrying), payment, shipment.

The bus's facts for a page are read once for the page's orders (``OrderChangeList``), never per row,
so the list costs the same number of queries whatever its length. The stuck sagas (the *Stuck sagas: N*
button, the ``stuck`` filter) are assessed once per request (``stuck_report``), in a bounded read.
"""

from __future__ import annotations

import re
from typing import Any
from weakref import WeakKeyDictionary

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from . import stuck
from .models import Order

ID_BREAK = 19  # the order id wraps after its third group, and only there: two short lines
NAME_DOT = re.compile(r"(?<=[A-Za-z_]\.)(?=[A-Za-z_])")  # between a name's parts: shipping.|book_shipment
_REPORTS: WeakKeyDictionary[HttpRequest, stuck.StuckReport] = WeakKeyDictionary()


def stuck_report(request: HttpRequest) -> stuck.StuckReport:
    """This request's stuck sagas, assessed once however many parts of the page ask (the button, the
    filter, its facets)."""
    report = _REPORTS.get(request)
    if report is None:
        report = _REPORTS[request] = stuck.stuck_sagas()
    return report


def stuck_count(report: stuck.StuckReport) -> int | str:
    """The button's number: a count (0 leaves the button quiet), or "1000+" when the read was cut short."""
    return report.count if report.truncated else len(report.sagas)


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
        attention = stuck.Attention(value)
        report = stuck_report(request) if attention == stuck.Attention.STUCK else None
        return stuck.needing_attention(queryset, attention, report=report)


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
        """In the site's time zone, like the admin's other dates (the date hierarchy, the change page)."""
        placed = timezone.localtime(order.created_at)
        return format_html(
            '<span class="placed">{}</span><span class="quiet">{}</span>',
            f"{placed:%Y-%m-%d}",
            f"{placed:%H:%M:%S}",
        )

    @admin.display(description="shipment", ordering="shipment_status")
    def shipment(self, order: Order) -> SafeString:
        if not order.shipment_status:
            return format_html('<span class="quiet">{}</span>', "none yet")
        return format_html('<span title="{}">{}</span>', order.carrier_reference, order.shipment_status)


def _breakable(text: str) -> SafeString:
    """The text, escaped, that may wrap after each dot of a subscriber's name (``shipping.book_shipment``),
    and only there: not inside a number ("next in 4.0 s")."""
    return mark_safe("<wbr>".join(escape(part) for part in NAME_DOT.split(text)))  # each part is escaped

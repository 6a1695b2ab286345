"""Reads of the orders context: what a user may see, and one order's saga timeline."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from common.ownership import visible_to
from eventbus import TimelineEvent, timeline

from .models import Order


def order_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Order]:
    """Staff see every order; a customer only their own (another's is as absent as a missing one)."""
    return visible_to(Order.objects.all(), user)


def order_timeline(order_id: UUID, *, across_services: bool) -> list[TimelineEvent]:
    """The order's saga as the bus recorded it: the order id is its correlation id. Staff see every
    service's deliveries (``across_services``); a customer's steps need this service's part only."""
    return timeline(str(order_id), across_services=across_services)

"""Reads of the orders context: what a user may see, and one order's saga timeline."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from eventbus.timeline import TimelineEvent, timeline

from .models import Order


def order_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Order]:
    """Staff see every order; a customer only their own."""
    orders = Order.objects.select_related("customer")
    return orders if user.is_staff else orders.filter(customer_id=user.pk)


def order_get(*, user: AbstractBaseUser | AnonymousUser, order_id: UUID) -> Order:
    """Raises ``Order.DoesNotExist`` for an order the user may not see, as for one that does not exist."""
    return order_list(user=user).prefetch_related("lines").get(id=order_id)


def order_timeline(order_id: UUID) -> list[TimelineEvent]:
    """The order's saga as the bus recorded it: the order id is its correlation id."""
    return timeline(str(order_id))

"""Reads of the payments context."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from common.ownership import visible_to

from .models import Payment


def payment_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Payment]:
    """Staff see every payment; a customer those of their own orders (learnt from OrderCreated)."""
    payments = Payment.objects.prefetch_related("refunds").order_by("-created_at", "-id")
    return visible_to(payments, user)

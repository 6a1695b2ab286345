"""Reads of the shipping context."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from common.ownership import visible_to

from .models import Shipment


def shipment_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Shipment]:
    """Staff see every shipment; a customer those of their own orders (learnt from OrderCreated)."""
    shipments = Shipment.objects.order_by("-created_at", "-id")
    return visible_to(shipments, user)

"""Who sees which rows: staff see all, a customer only their own (another's is as absent as a missing one)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Model, QuerySet


def visible_to[M: Model](rows: QuerySet[M], user: AbstractBaseUser | AnonymousUser) -> QuerySet[M]:
    """``rows`` as ``user`` may read them; every context's rows carry the customer's id as ``customer_id``."""
    return rows if getattr(user, "is_staff", False) else rows.filter(customer_id=user.pk)

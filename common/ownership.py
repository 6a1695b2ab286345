"""Who sees which rows: staff whose permissions say so see all, anyone else only their own rows
(another's is as absent as a missing one)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, PermissionsMixin
from django.db.models import Model, QuerySet


def visible_to[M: Model](rows: QuerySet[M], user: AbstractBaseUser | AnonymousUser) -> QuerySet[M]:
    """``rows`` as ``user`` may read them; every context's rows carry the customer's id as ``customer_id``.

    ``is_staff`` alone grants nothing here: staff read everyone's rows of a model only with its view
    permission (``orders.view_order``, ``payments.view_payment``...), given in admin to a user or group.
    """
    meta = rows.model._meta
    permission = f"{meta.app_label}.view_{meta.model_name}"
    if isinstance(user, PermissionsMixin) and getattr(user, "is_staff", False) and user.has_perm(permission):
        return rows
    return rows.filter(customer_id=user.pk)

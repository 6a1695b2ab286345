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
    return rows if reads_all(user, rows.model) else rows.filter(customer_id=user.pk)


def reads_all(user: AbstractBaseUser | AnonymousUser, model: type[Model]) -> bool:
    """Whether ``user`` reads every customer's rows of ``model``: staff with its view permission.

    Anyone else is answered without looking up permissions (no query).
    """
    if not (isinstance(user, PermissionsMixin) and getattr(user, "is_staff", False)):
        return False
    return user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}")

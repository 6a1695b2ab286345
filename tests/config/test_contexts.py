"""A context another service runs has no tables, routes or admin pages here, and links to it go there."""

from __future__ import annotations

from config.contexts import ContextRouter, remote
from orders.admin import _changelist

SPLIT = "shop=*;payments=payments"


def test_the_monolith_runs_every_context(settings):
    assert not remote("payments")
    assert ContextRouter().allow_migrate("default", "payments") is None


def test_the_shop_creates_no_payments_tables_but_its_own_and_the_bus(settings):
    settings.EVENTBUS_SERVICE, settings.EVENTBUS_SERVICES = "shop", SPLIT

    assert ContextRouter().allow_migrate("default", "payments") is False
    assert ContextRouter().allow_migrate("default", "orders") is None
    assert ContextRouter().allow_migrate("default", "eventbus") is None
    assert ContextRouter().allow_migrate("default", "auth") is None


def test_payments_creates_only_its_own_context_tables(settings):
    settings.EVENTBUS_SERVICE, settings.EVENTBUS_SERVICES = "payments", SPLIT

    assert [label for label in settings.CONTEXTS if ContextRouter().allow_migrate("default", label) is False] == [
        "catalog",
        "orders",
        "shipping",
    ]


def test_a_link_to_an_admin_that_is_not_here_goes_to_its_service_or_is_left_out(settings):
    assert _changelist("payments", "payment", "order_id=1") == "/admin/payments/payment/?order_id=1"
    assert _changelist("elsewhere", "thing", "order_id=1") == ""
    settings.CONTEXT_ADMIN_URLS = {"elsewhere": "https://elsewhere.example.com/admin/"}
    assert (
        _changelist("elsewhere", "thing", "order_id=1")
        == "https://elsewhere.example.com/admin/elsewhere/thing/?order_id=1"
    )

"""Placing an order and reading one cost a known number of SQL statements (what `make bench`
measures as the API's speed is mostly these): a change that adds one shows here first."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from eventbus.testing import run_pending

# Placing: the token; the key's INSERT; then one transaction: the price list, the order, its lines,
# two outbox rows, the key's answer. BEGIN and COMMIT are counted as statements too.
PLACE_STATEMENTS = ["SELECT", "INSERT", "BEGIN", "SELECT", "INSERT", "INSERT", "INSERT", "INSERT", "UPDATE", "COMMIT"]
# Reading as staff: the token, the permissions, the order, its lines, its outbox rows and deliveries.
READ_AS_STAFF = 6


def kinds(captured: CaptureQueriesContext) -> list[str]:
    return [query["sql"].split(None, 1)[0].strip('"').upper() for query in captured.captured_queries]


@pytest.mark.django_db(transaction=True)
def test_placing_an_order_is_ten_statements_with_no_savepoint(alice):
    alice.place()  # the first commit reads the subscriptions the doorbell rings for (once every few seconds)

    with CaptureQueriesContext(connection) as captured:
        assert alice.place().status_code == 201

    assert kinds(captured) == PLACE_STATEMENTS


@pytest.mark.django_db
def test_reading_an_order_with_its_saga(alice, staff):
    order_id = alice.place().json()["id"]
    run_pending()

    with CaptureQueriesContext(connection) as as_staff:
        assert staff.get(f"/api/orders/{order_id}/").status_code == 200
    with CaptureQueriesContext(connection) as as_customer:
        assert alice.get(f"/api/orders/{order_id}/").status_code == 200

    assert len(as_staff.captured_queries) == READ_AS_STAFF
    assert len(as_customer.captured_queries) == READ_AS_STAFF - 1  # no permission to look up

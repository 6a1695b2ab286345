"""Clients for the REST API tests: customers and staff, by token, over DRF's test client."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import cache
from knox.models import AuthToken
from rest_framework.response import Response
from rest_framework.test import APIClient

from tests.price_list import on_sale

ORDER_BODY: dict[str, Any] = {
    "currency": "EUR",
    "lines": [{"sku": "SKU-1", "quantity": 2}],
    "shipping_address": {
        "name": "Ada Lovelace",
        "line1": "1 Main St",
        "city": "Berlin",
        "postal_code": "10115",
        "country": "DE",
    },
    "payment_token": "tok_ok",
}


def order_body(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(ORDER_BODY)
    body.update(changes)
    return body


class ApiUser:
    """A logged-in API client for one user."""

    def __init__(self, username: str, *, staff: bool = False) -> None:
        self.user = get_user_model().objects.create_user(username=username, password="pw-" + username, is_staff=staff)
        self.token = AuthToken.objects.create(user=self.user)[1]
        self.client = APIClient()
        self.client.credentials(HTTP_AUTHORIZATION=f"Token {self.token}")

    def place(self, body: dict[str, Any] | None = None, *, key: str | None = None) -> Response:
        headers = {"Idempotency-Key": key or str(uuid.uuid4())}
        return self.client.post("/api/orders/", body or ORDER_BODY, format="json", headers=headers)

    def get(self, path: str, **params: Any) -> Response:
        return self.client.get(path, params)


@pytest.fixture(autouse=True)
def _fresh_throttle_counts() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def price_list(db: None) -> None:
    """SKU-1 on sale at 9.90, no tax: ORDER_BODY's two of them cost 19.80."""
    on_sale("SKU-1", "9.90")


@pytest.fixture
def alice(price_list: None) -> ApiUser:
    return ApiUser("alice")


@pytest.fixture
def bob(price_list: None) -> ApiUser:
    return ApiUser("bob")


STAFF_VIEWS = ["orders.view_order", "payments.view_payment", "shipping.view_shipment"]


@pytest.fixture
def staff(price_list: None) -> ApiUser:
    """A support agent: staff who may read every customer's orders, payments and shipments."""
    agent = ApiUser("operator", staff=True)
    for permission in STAFF_VIEWS:
        app_label, codename = permission.split(".")
        agent.user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return agent

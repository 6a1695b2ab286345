"""Customers log in by token (from their password) or by session, not only staff through admin."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return get_user_model().objects.create_user("carol", password="carol-password")


def test_a_customer_trades_their_password_for_their_token(customer):
    response = APIClient().post("/api/auth/token/", {"username": "carol", "password": "carol-password"}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/orders/").status_code == 200


def test_a_wrong_password_gets_no_token(customer):
    response = APIClient().post("/api/auth/token/", {"username": "carol", "password": "guess"}, format="json")
    assert response.status_code == 400
    assert "token" not in response.json()


def test_token_logins_are_throttled(customer, monkeypatch):
    from django.core.cache import cache
    from rest_framework.throttling import ScopedRateThrottle

    cache.clear()
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"login": "2/minute"})
    answers = [
        APIClient().post("/api/auth/token/", {"username": "carol", "password": "guess"}, format="json").status_code
        for _ in range(3)
    ]
    assert answers == [400, 400, 429]


def test_a_customer_logs_in_with_a_session_and_places_an_order_with_csrf(customer):
    from tests.api.conftest import ORDER_BODY
    from tests.price_list import on_sale

    on_sale("SKU-1", "9.90")
    client = APIClient(enforce_csrf_checks=True)
    login_page = client.get("/api/auth/login/")
    assert login_page.status_code == 200
    csrf = login_page.cookies["csrftoken"].value
    answer = client.post(
        "/api/auth/login/", {"username": "carol", "password": "carol-password", "csrfmiddlewaretoken": csrf}
    )
    assert answer.status_code == 302
    assert client.get("/api/orders/").status_code == 200
    without_csrf = client.post("/api/orders/", ORDER_BODY, format="json", headers={"Idempotency-Key": "k"})
    assert without_csrf.status_code == 403
    csrf = client.cookies["csrftoken"].value
    with_csrf = client.post(
        "/api/orders/", ORDER_BODY, format="json", headers={"Idempotency-Key": "k", "X-CSRFToken": csrf}
    )
    assert with_csrf.status_code == 201

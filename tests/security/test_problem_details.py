"""Every error the API answers is an RFC 9457 problem (application/problem+json), whoever raised it."""

from __future__ import annotations

import json

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.db import OperationalError
from django.test import RequestFactory
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from common.api import server_error
from orders import services
from orders.models import Order
from tests.api.conftest import ORDER_BODY, order_body

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def assert_problem(answer, status: int, type: str = "about:blank") -> dict:
    assert answer.status_code == status
    assert answer["Content-Type"] == PROBLEM
    body = json.loads(answer.content)
    assert (body["type"], body["status"]) == (type, status)
    assert body["title"]
    assert body["detail"]
    return body


def test_a_validation_error_names_each_field_in_errors(alice):
    body = assert_problem(alice.place(order_body(currency="EURO", lines=[])), 400, "urn:shop:problem:validation")
    assert set(body["errors"]) == {"currency", "lines"}
    assert "currency" in body["detail"]
    assert "lines" in body["detail"]


def test_a_missing_idempotency_key_is_a_validation_problem_naming_the_header(alice):
    answer = alice.client.post("/api/orders/", ORDER_BODY, format="json")
    body = assert_problem(answer, 400, "urn:shop:problem:validation")
    assert body["errors"] == {"Idempotency-Key": ["This header is required."]}


def test_a_body_that_is_not_json_is_a_problem(alice):
    answer = alice.client.post("/api/orders/", "{", content_type="application/json", headers={"Idempotency-Key": "k"})
    assert "JSON parse error" in assert_problem(answer, 400)["detail"]


def test_authentication_permission_and_existence(alice, bob):
    assert_problem(APIClient().get("/api/orders/"), 401)
    order = alice.place().json()["id"]
    assert_problem(bob.get(f"/api/orders/{order}/"), 404)
    assert_problem(APIClient().get(f"/api/orders/{order}/", HTTP_AUTHORIZATION="Token not-a-token"), 401)


def test_cancelling_anothers_order_without_the_permission_is_a_403_problem(alice, staff):
    order = alice.place().json()["id"]
    assert_problem(staff.client.post(f"/api/orders/{order}/cancel/"), 403)


def test_method_media_type_and_accept_problems(alice):
    assert_problem(alice.client.get("/api/orders/00000000-0000-0000-0000-000000000000/cancel/"), 405)
    form = alice.client.post("/api/orders/", {"currency": "EUR"}, format="multipart", headers={"Idempotency-Key": "k"})
    assert_problem(form, 415)
    assert_problem(alice.client.get("/api/orders/", HTTP_ACCEPT="text/csv"), 406)


def test_a_throttled_write_is_a_429_problem_with_retry_after(alice, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"writes": "1/minute"})
    alice.place()
    answer = alice.place()
    assert_problem(answer, 429)
    assert int(answer["Retry-After"]) > 0


def test_a_locked_out_token_login_is_a_429_problem_with_retry_after(settings):
    get_user_model().objects.create_user("carol", password="right-password")
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/api/auth/token/", {"username": "carol", "password": "guess"}, format="json")
    answer = client.post("/api/auth/token/", {"username": "carol", "password": "right-password"}, format="json")
    assert_problem(answer, 429, "urn:shop:problem:login-locked-out")
    assert answer["Retry-After"]


def test_a_wrong_password_is_a_validation_problem(db):
    get_user_model().objects.create_user("carol", password="right-password")
    answer = APIClient().post("/api/auth/token/", {"username": "carol", "password": "guess"}, format="json")
    assert "non_field_errors" in assert_problem(answer, 400, "urn:shop:problem:validation")["errors"]


def test_idempotency_conflicts_are_problems_of_their_own_type(alice):
    alice.place(key="k")
    assert_problem(alice.place(order_body(currency="USD"), key="k"), 422, "urn:shop:problem:idempotency-key-reused")


def test_a_refused_cancellation_keeps_its_reason(alice):
    order = alice.place().json()["id"]
    Order.objects.filter(id=order).update(status="shipped")
    body = assert_problem(alice.client.post(f"/api/orders/{order}/cancel/"), 409, "urn:shop:problem:too-late-to-cancel")
    assert body["reason"] == "already_dispatched"


def test_the_database_out_of_reach_is_a_503_problem_with_retry_after(alice, monkeypatch):
    def away(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "order_place", away)
    answer = alice.place()
    assert_problem(answer, 503, "urn:shop:problem:database-unavailable")
    assert answer["Retry-After"] == "2"


def test_djangos_own_404_and_500_under_api_are_problems_elsewhere_pages(client):
    assert_problem(client.get("/api/no-such-endpoint/"), 404)
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")
    assert_problem(server_error(RequestFactory().get("/api/orders/")), 500)
    assert server_error(RequestFactory().get("/admin/"))["Content-Type"].startswith("text/html")


def test_a_body_over_the_upload_limit_and_a_foreign_host_are_problems(alice, client, settings):
    big = json.dumps({**ORDER_BODY, "padding": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    answer = alice.client.post("/api/orders/", big, content_type="application/json", headers={"Idempotency-Key": "k"})
    assert_problem(answer, 400)
    assert_problem(client.get("/api/orders/", HTTP_HOST="shop.attacker.example"), 400)
    assert client.get("/admin/", HTTP_HOST="shop.attacker.example")["Content-Type"].startswith("text/html")


def test_a_csrf_failure_under_api_is_a_problem(db):
    browser = APIClient(enforce_csrf_checks=True)
    assert_problem(browser.post("/api/auth/login/", {"username": "u", "password": "p"}), 403)


def test_the_schema_documents_every_error_as_a_problem(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    documented = [
        (path, code, set(answer.get("content", {})))
        for path, operations in schema["paths"].items()
        for operation in operations.values()
        for code, answer in operation["responses"].items()
        if code >= "400"
    ]
    assert documented
    assert [entry for entry in documented if entry[2] != {PROBLEM}] == []
    assert "errors" in schema["components"]["schemas"]["ValidationProblem"]["properties"]

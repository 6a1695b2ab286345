"""Hostile bodies get a clear 400, never a 500: a deeply nested JSON document, anonymously too."""

import pytest
from rest_framework.test import APIClient

from orders.models import Order

pytestmark = pytest.mark.django_db

DEEP = "[" * 20_000 + "]" * 20_000  # 40 KB, under the body size limit, far over the parser's recursion


@pytest.mark.parametrize("path", ["/api/orders/", "/api/auth/token/"])
def test_a_deeply_nested_json_body_is_a_400(path, alice):
    answer = alice.client.post(path, DEEP, content_type="application/json", headers={"Idempotency-Key": "k"})
    assert answer.status_code == 400
    assert "nested too deeply" in answer.json()["detail"]
    assert not Order.objects.exists()


def test_anonymously_too(db):
    answer = APIClient().post("/api/auth/token/", DEEP, content_type="application/json")
    assert answer.status_code == 400

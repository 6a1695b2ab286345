"""The live OpenAPI schema documents what the API demands and answers."""

import pytest
import yaml

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_placing_requires_the_idempotency_key_and_documents_its_answers(schema):
    place = schema["paths"]["/api/orders/"]["post"]
    [header] = [p for p in place["parameters"] if p["in"] == "header"]
    assert (header["name"], header["required"]) == ("Idempotency-Key", True)
    assert {"201", "400", "401", "409", "422", "429"} <= set(place["responses"])
    assert "Location" in place["responses"]["201"]["headers"]


def test_every_endpoint_but_the_token_login_and_the_price_list_refuses_anonymous_callers(schema, client):
    open_paths = {"/api/auth/token/", "/api/products/", "/api/products/{sku}/"}
    for path, operations in schema["paths"].items():
        url = path.replace("{id}", "01a2215f-0000-7000-8000-000000000000")
        for method, operation in operations.items():
            if path in open_paths:
                assert operation.get("security", []) in ([], [{}]), f"{method} {path} should say it needs no login"
                continue
            assert {"knoxApiToken": []} in operation["security"], f"{method} {path}"
            answer = getattr(client, method)(url)
            assert answer.status_code == 401, f"{method} {path} answered {answer.status_code} without a login"


def test_cancel_documents_accepted_and_too_late(schema):
    cancel = schema["paths"]["/api/orders/{id}/cancel/"]["post"]
    assert {"202", "409"} <= set(cancel["responses"])

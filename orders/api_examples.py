"""Swagger UI's examples for placing an order: one body per saga path the request itself decides.

Each summary names what drives its path: the fake payment provider's card token
(``payments/gateway.py``) or the country the fake carrier does not serve
(``SHIPPING_UNSERVED_COUNTRIES``), and where the order ends (docs/saga.md). The SKUs are
``manage.py seed_demo``'s products. No two bodies are alike, so an Idempotency-Key reused across
examples is refused (422) rather than replaying another example's order.
``tests/api/test_swagger_examples.py`` places each one and follows its saga.

Left out: ``tok_slow`` (the payment deadline's path), whose fake provider holds a worker until the
deadline, 15 minutes by default; and the paths a request cannot choose (the carrier down).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample

IDEMPOTENCY_KEY_EXAMPLE = '"8e03978e-40d5-43e8-bc93-6894a57f9324"'


def _body(token: str, country: str, lines: list[tuple[str, int]], *, name: str, city: str, postal_code: str) -> Any:
    return {
        "currency": "EUR",
        "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        "shipping_address": {
            "name": name,
            "line1": "1 Example Street",
            "city": city,
            "postal_code": postal_code,
            "country": country,
        },
        "payment_token": token,
    }


PLACE_ORDER_EXAMPLES = [
    OpenApiExample(
        "happy",
        summary="Happy path: tok_ok, to DE → confirmed",
        description="`tok_ok` is charged and the carrier books DE: `pending` → `paid` → `confirmed`. "
        "Then `manage.py dispatch_shipment ORDER_ID` ships it (`shipped`), and a cancellation "
        "after that is refused: 409 `already_dispatched`.",
        value=_body(
            "tok_ok", "DE", [("DEMO-1", 1), ("DEMO-2", 2)], name="Ada Lovelace", city="Berlin", postal_code="10115"
        ),
        request_only=True,
    ),
    OpenApiExample(
        "declined",
        summary="Card declined: tok_declined → cancelled (payment_declined)",
        description="The provider declines `tok_declined` (and any token it does not know): the order is "
        "cancelled with reason `payment_declined`; shipping cancels what it prepared; nothing is refunded, "
        "nothing was captured.",
        value=_body("tok_declined", "DE", [("DEMO-3", 1)], name="Grace Hopper", city="Munich", postal_code="80331"),
        request_only=True,
    ),
    OpenApiExample(
        "flaky",
        summary="Flaky provider: tok_flaky → charge retried twice, then confirmed",
        description="`tok_flaky` fails twice as if the provider were down; the bus retries the charge and "
        "its idempotency key makes the provider capture once: `confirmed`. Needs "
        "`PAYMENTS_FAKE_PROVIDER_FAULTS=1` (`make run` sets it); without it the token is unknown, so declined.",
        value=_body("tok_flaky", "FR", [("DEMO-1", 2)], name="Marie Curie", city="Paris", postal_code="75005"),
        request_only=True,
    ),
    OpenApiExample(
        "unserved_country",
        summary="Unserved country: AQ → shipment failed, refunded, cancelled (shipping_failed)",
        description="`tok_ok` is charged, then the carrier serves no country in `SHIPPING_UNSERVED_COUNTRIES` "
        "(AQ, Antarctica, by default): the shipment fails, payments refunds the capture, and the order is "
        "cancelled with reason `shipping_failed`.",
        value=_body("tok_ok", "AQ", [("DEMO-2", 1)], name="Roald Amundsen", city="McMurdo Station", postal_code="0000"),
        request_only=True,
    ),
    OpenApiExample(
        "customer_cancels",
        summary="Customer cancels: tok_ok to NL, then POST /api/orders/{id}/cancel/ → cancelled (customer_cancelled)",
        description="Placed like the happy path; cancel it before it is dispatched (`POST "
        "/api/orders/{id}/cancel/`, 202): shipping stops the parcel, the order is cancelled with reason "
        "`customer_cancelled`, and the capture is refunded.",
        value=_body(
            "tok_ok",
            "NL",
            [("DEMO-3", 1), ("DEMO-1", 1)],
            name="Aletta Jacobs",
            city="Amsterdam",
            postal_code="1012 JS",
        ),
        request_only=True,
    ),
]

PLACED_EXAMPLE = OpenApiExample(
    "placed",
    summary="The happy path's order, just placed",
    description="`pending`: the saga runs after the answer. Its URL is in `Location`; follow it "
    "(`GET /api/orders/{id}/`) to watch the payment, the shipment and the timeline.",
    value={
        "id": "01a23cc6-c1c1-7e35-a7bf-d4bb72de97a4",
        "status": "pending",
        "reason": "",
        "currency": "EUR",
        "total": "39.73",
        "tax_total": "4.83",
        "created_at": "2026-12-03T16:39:48.418381Z",
        "updated_at": "2026-12-03T16:39:48.418392Z",
    },
    response_only=True,
    status_codes=["201"],
)

"""Currencies and countries are checked against ISO 4217 and ISO 3166-1, not only their shape."""

from __future__ import annotations

import pytest
import yaml

from common.iso_codes import COUNTRIES, CURRENCIES
from orders.models import Order
from tests.api.conftest import ORDER_BODY, order_body

pytestmark = pytest.mark.django_db


def address(country: str) -> dict[str, str]:
    return {**ORDER_BODY["shipping_address"], "country": country}


@pytest.mark.parametrize("currency", ["XYZ", "EUX", "eur"])
def test_a_currency_not_in_iso_4217_is_a_validation_problem_naming_it(alice, currency):
    response = alice.place(order_body(currency=currency))
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:shop:problem:validation"
    assert problem["errors"] == {
        "currency": [f"'{currency}' is not an ISO 4217 currency code (three capitals, e.g. EUR)."]
    }
    assert not Order.objects.exists()


@pytest.mark.parametrize("country", ["UK", "XX", "de", "DEU"])
def test_a_country_not_in_iso_3166_1_is_a_validation_problem_naming_it(alice, country):
    response = alice.place(order_body(shipping_address=address(country)))
    assert response.status_code == 400
    [message] = response.json()["errors"]["shipping_address"]["country"]
    assert message.startswith(f"'{country}' is not an ISO 3166-1 alpha-2 country code")
    assert not Order.objects.exists()


def test_a_real_currency_other_than_the_products_is_still_refused_by_the_price_list(alice):
    response = alice.place(order_body(currency="USD"))
    assert response.status_code == 400
    assert response.json()["errors"]["lines"] == {"0": {"sku": ["'SKU-1' is priced in EUR, not USD."]}}


@pytest.mark.parametrize("country", ["GB", "AQ", "NO", "FR"])
def test_real_countries_are_accepted(alice, country):
    assert alice.place(order_body(shipping_address=address(country))).status_code == 201


def test_the_schema_lists_the_codes_it_accepts(client):
    schemas = yaml.safe_load(client.get("/api/schema/").content)["components"]["schemas"]
    assert schemas["CurrencyEnum"]["enum"] == list(CURRENCIES)
    assert schemas["CountryEnum"]["enum"] == list(COUNTRIES)
    assert {"EUR", "USD", "JPY", "CHF"} <= set(CURRENCIES)
    assert "XYZ" not in CURRENCIES
    assert {"DE", "GB", "AQ", "NO"} <= set(COUNTRIES)
    assert "UK" not in COUNTRIES
    request = schemas["OrderPlacementRequest"]["properties"]
    assert request["currency"]["allOf"] == [{"$ref": "#/components/schemas/CurrencyEnum"}]

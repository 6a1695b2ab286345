"""ISO 4217 currency codes and ISO 3166-1 alpha-2 country codes, from pycountry's copy of the real lists.

A code of the right shape is not enough: ``XYZ`` is three capitals and no currency, ``UK`` two and
no country (the United Kingdom is ``GB``). The API's fields take these lists as their choices, so
the schema states them as an ``enum`` (a client, or a fuzzer, sees what is accepted), and every
message names the list; model forms take the validators.
"""

from __future__ import annotations

from typing import Any

import pycountry
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

CURRENCIES: tuple[str, ...] = tuple(sorted(currency.alpha_3 for currency in pycountry.currencies))
COUNTRIES: tuple[str, ...] = tuple(sorted(country.alpha_2 for country in pycountry.countries))

NOT_A_CURRENCY = "'{input}' is not an ISO 4217 currency code (three capitals, e.g. EUR)."
NOT_A_COUNTRY = "'{input}' is not an ISO 3166-1 alpha-2 country code (two capitals, e.g. DE; GB for the UK)."

_CURRENCY_SET = frozenset(CURRENCIES)
_COUNTRY_SET = frozenset(COUNTRIES)


def validate_currency(value: str) -> None:
    """A Django validator: ``value`` is a current ISO 4217 alphabetic code."""
    if value not in _CURRENCY_SET:
        raise ValidationError(NOT_A_CURRENCY.format(input=value), code="invalid_choice")


def validate_country(value: str) -> None:
    """A Django validator: ``value`` is an ISO 3166-1 alpha-2 code."""
    if value not in _COUNTRY_SET:
        raise ValidationError(NOT_A_COUNTRY.format(input=value), code="invalid_choice")


@extend_schema_field({"type": "string", "enum": list(CURRENCIES), "example": "EUR"})
class CurrencyField(serializers.ChoiceField):
    """An ISO 4217 code; the schema's enum is the codes alone, without a description line for each."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(CURRENCIES, error_messages={"invalid_choice": NOT_A_CURRENCY}, **kwargs)


@extend_schema_field({"type": "string", "enum": list(COUNTRIES), "example": "DE"})
class CountryField(serializers.ChoiceField):
    """An ISO 3166-1 alpha-2 code; the schema's enum is the codes alone."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(COUNTRIES, error_messages={"invalid_choice": NOT_A_COUNTRY}, **kwargs)

"""The fakes of the outside world: chosen by settings, every call bounded by a timeout, and their
fault tokens (tok_flaky, tok_slow) off unless a setting turns them on."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from cryptography.fernet import Fernet
from django.utils import timezone

from payments import gateway as payments_gateway
from payments.gateway import Declined, FakePaymentProvider, ProviderUnavailable
from shipping import carrier as shipping_carrier
from tests.security.production import production


def charge(provider, token: str, *, pay_before=None):
    return provider.charge(
        token=token,
        amount=Decimal("10.00"),
        currency="EUR",
        idempotency_key=f"key-{token}",
        pay_before=pay_before or timezone.now(),
    )


@pytest.mark.parametrize("token", ["tok_flaky", "tok_slow"])
def test_without_the_setting_the_fault_tokens_are_declined_like_any_unknown_card(tmp_path, settings, token):
    settings.PAYMENTS_FAKE_PROVIDER_LEDGER = str(tmp_path / "ledger.sqlite3")
    settings.PAYMENTS_FAKE_PROVIDER_FAULTS = False
    with pytest.raises(Declined):
        charge(payments_gateway.gateway(), token, pay_before=timezone.now() + timedelta(seconds=30))


def test_production_leaves_the_fault_tokens_off():
    shown = production(
        "from django.conf import settings; print(settings.PAYMENTS_FAKE_PROVIDER_FAULTS)",
        ALLOWED_HOSTS="shop.example.com",
        EVENTBUS_FIELD_KEYS=Fernet.generate_key().decode(),
    )
    assert shown.stdout.strip() == "False", shown.stderr


def test_a_provider_slower_than_the_timeout_is_given_up_on_as_unavailable(tmp_path):
    provider = FakePaymentProvider(tmp_path / "ledger.sqlite3", faults=True, timeout=0.2)
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable, match=r"no answer within 0\.2 s"):
        charge(provider, "tok_slow", pay_before=timezone.now() + timedelta(seconds=30))
    assert time.monotonic() - started < 5
    assert provider.captures("key-tok_slow") == []


class Recording:
    """An adapter a project might name in its settings: it keeps the timeout it was given."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout


def test_the_adapters_are_the_ones_the_settings_name_with_their_timeouts(settings):
    settings.PAYMENTS_GATEWAY = settings.SHIPPING_CARRIER = f"{__name__}.Recording"
    settings.PAYMENTS_GATEWAY_TIMEOUT_SECONDS, settings.SHIPPING_CARRIER_TIMEOUT_SECONDS = 3.0, 4.0
    chosen_gateway, chosen_carrier = payments_gateway.gateway(), shipping_carrier.carrier()
    assert isinstance(chosen_gateway, Recording)
    assert chosen_gateway.timeout == 3.0
    assert isinstance(chosen_carrier, Recording)
    assert chosen_carrier.timeout == 4.0


def test_the_default_adapters_are_the_fakes_bounded_by_the_timeout(settings):
    settings.PAYMENTS_GATEWAY_TIMEOUT_SECONDS = settings.SHIPPING_CARRIER_TIMEOUT_SECONDS = 7.0
    assert payments_gateway.gateway().timeout == 7.0
    assert shipping_carrier.carrier().timeout == 7.0

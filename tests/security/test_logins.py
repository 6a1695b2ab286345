"""Logins resist guessing on every door, whatever X-Forwarded-For says; API tokens are kept as digests,
expire and can be revoked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from common.client_ip import client_ip

pytestmark = pytest.mark.django_db
PASSWORD = "the-right-password"


@pytest.fixture
def carol():
    return get_user_model().objects.create_user("carol", password=PASSWORD)


@pytest.fixture
def boss():
    return get_user_model().objects.create_superuser("boss", password=PASSWORD)


@pytest.fixture
def no_login_throttle(settings):
    """The lockout alone, without the per-address request throttle in front of it."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"writes": "100000/minute", "login": "100000/minute"},
    }


def token_login(password: str, *, address: str = "203.0.113.9", forwarded: str = "") -> int:
    extra = {"REMOTE_ADDR": address, **({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {})}
    body = {"username": "carol", "password": password}
    return APIClient().post("/api/auth/token/", body, format="json", **extra).status_code


def test_rotating_x_forwarded_for_does_not_escape_the_lockout_of_the_token_login(carol, no_login_throttle, settings):
    answers = [token_login("guess", forwarded=f"198.51.100.{n}") for n in range(settings.AXES_FAILURE_LIMIT + 2)]

    assert answers[: settings.AXES_FAILURE_LIMIT - 1] == [400] * (settings.AXES_FAILURE_LIMIT - 1)
    assert answers[-1] == 429
    locked = APIClient().post("/api/auth/token/", {"username": "carol", "password": PASSWORD}, format="json")
    assert locked.status_code == 429  # locked out, even with the right password
    assert locked["Content-Type"] == "application/problem+json"
    assert int(locked["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert not AuthToken.objects.exists()


def test_the_lockout_is_per_account_as_well_as_per_client(carol, no_login_throttle, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        token_login("guess", address=f"192.0.2.{n}")  # one guess from each of many addresses

    assert token_login(PASSWORD, address="192.0.2.200") == 429


@pytest.mark.parametrize("door", ["/api/auth/login/", "/admin/login/"])
def test_the_session_login_doors_lock_out_guessing(boss, door, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(door, {"username": "boss", "password": "guess"})

    answer = client.post(door, {"username": "boss", "password": PASSWORD})

    assert answer.status_code == 429
    assert "_auth_user_id" not in client.session


def test_logging_in_as_oneself_between_guesses_does_not_clear_them(carol, no_login_throttle, settings):
    """The guesser has an account of their own; a success must not wipe the failures from their address."""
    get_user_model().objects.create_user("mallory", password="mallory-password")
    answers = []
    for _ in range(3):
        answers += [token_login("guess") for _ in range(settings.AXES_FAILURE_LIMIT - 1)]
        body = {"username": "mallory", "password": "mallory-password"}
        APIClient().post("/api/auth/token/", body, format="json", REMOTE_ADDR="203.0.113.9")

    assert 429 in answers
    assert token_login(PASSWORD, address="192.0.2.77") == 429  # and carol's account is locked too


@pytest.mark.parametrize(
    ("proxies", "forwarded", "client"),
    [
        (0, "198.51.100.7", "10.0.0.1"),  # no trusted proxy: the header is the client's word, ignored
        (1, "198.51.100.7", "198.51.100.7"),  # one proxy appended what it saw
        (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the client forged the leftmost entry
        (2, "6.6.6.6, 198.51.100.7, 10.0.0.2", "198.51.100.7"),
        (2, "198.51.100.7", "198.51.100.7"),  # fewer entries than proxies: the leftmost
        (1, "", "10.0.0.1"),
    ],
)
def test_the_client_address_is_the_one_the_outermost_trusted_proxy_saw(settings, proxies, forwarded, client):
    settings.TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == client


def test_api_tokens_are_stored_as_digests_and_work_until_they_expire(carol):
    answer = APIClient().post("/api/auth/token/", {"username": "carol", "password": PASSWORD}, format="json")
    token = answer.json()["token"]
    stored = AuthToken.objects.get(user=carol)
    assert token not in {stored.digest, stored.token_key}
    assert token[:15] == stored.token_key  # only a prefix to look it up, then the digest decides
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/orders/").status_code == 200

    AuthToken.objects.filter(pk=stored.pk).update(expiry=timezone.now() - timedelta(seconds=1))

    assert client.get("/api/orders/").status_code == 401
    assert not AuthToken.objects.filter(pk=stored.pk).exists()  # an expired token presented is deleted


def test_a_users_expired_tokens_are_deleted_when_they_log_in_not_on_every_request(carol):
    expired = [AuthToken.objects.create(user=carol)[0] for _ in range(2)]
    AuthToken.objects.filter(pk__in=[t.pk for t in expired]).update(expiry=timezone.now() - timedelta(seconds=1))
    _, valid = AuthToken.objects.create(user=carol)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {valid}")

    assert client.get("/api/orders/").status_code == 200
    assert AuthToken.objects.filter(user=carol).count() == 3  # a request reads its own token only

    answer = APIClient().post("/api/auth/token/", {"username": "carol", "password": PASSWORD}, format="json")

    assert answer.status_code == 200
    assert AuthToken.objects.filter(user=carol).count() == 2  # the valid one and the new one


def test_logging_out_revokes_the_token(carol):
    _, token = AuthToken.objects.create(user=carol)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    assert client.post("/api/auth/token/logout/").status_code == 204

    assert client.get("/api/orders/").status_code == 401
    assert not AuthToken.objects.exists()

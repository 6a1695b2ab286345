"""Idempotency-Key is an RFC 8941 String (draft-ietf-httpapi-idempotency-key-header); the bare form is the same key."""

from importlib import import_module

import pytest
from django.apps import apps as django_apps

from orders.models import IdempotencyKey, Order

KEY = "8e03978e-40d5-43e8-bc93-6894a57f9324"


@pytest.mark.parametrize(("first", "retry"), [(f'"{KEY}"', KEY), (KEY, f'"{KEY}"'), (f'"{KEY}"', f'"{KEY}";v=1')])
def test_a_quoted_key_and_the_same_key_unquoted_are_one_key(alice, first, retry):
    placed = alice.place(key=first)
    replayed = alice.place(key=retry)
    assert placed.status_code == 201
    assert (replayed.status_code, replayed.json()) == (201, placed.json())
    assert replayed["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1
    assert IdempotencyKey.objects.get().key == KEY


def test_escapes_in_a_quoted_key_are_undone(alice):
    alice.place(key=r'"say \"hi\" \\ bye"')
    assert alice.place(key='say "hi" \\ bye')["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize(
    "malformed",
    [
        r'"bad \x escape"',  # only \" and \\ are escapes
        '"unterminated',
        '"caf\u00e9"',  # a String is ASCII
        '"a" "b"',  # one Item, nothing after it
        '"tab\tinside"',
        '"nul\x00"',
    ],
)
def test_a_malformed_structured_string_is_a_400_naming_the_header(alice, malformed):
    answer = alice.place(key=malformed)
    assert answer.status_code == 400
    assert "Idempotency-Key" in answer.json()["errors"]
    assert "Idempotency-Key" in answer.json()["detail"]
    assert not Order.objects.exists()


@pytest.mark.parametrize("key", ['""', '"' + "k" * 256 + '"'])
def test_an_empty_or_overlong_quoted_key_is_refused(alice, key):
    assert alice.place(key=key).status_code == 400


def test_keys_stored_quoted_before_the_upgrade_are_found_by_a_retry(alice):
    unquote = import_module("orders.migrations.0008_unquote_idempotency_keys").unquote
    first = alice.place(key="k-1")
    IdempotencyKey.objects.filter(key="k-1").update(key='"k-1"')  # as the code before the draft stored it

    unquote(django_apps, None)

    again = alice.place(key='"k-1"')
    assert again.status_code == first.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert Order.objects.count() == 1

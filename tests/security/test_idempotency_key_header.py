"""Idempotency-Key is an RFC 8941 String (draft-ietf-httpapi-idempotency-key-header); the bare form is the same key."""

import pytest

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

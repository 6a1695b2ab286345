"""An error's fingerprint: the same failure with different ids, numbers and times reads the same."""

import pytest

from eventbus.kernel.fingerprint import LONGEST, fingerprint


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            "CarrierDown: no answer after 30 s for order 3f2b1c9e-1111-4a2b-9c3d-abcdefabcdef",
            "CarrierDown: no answer after 12.5 s for order 11111111-2222-3333-4444-555555555555",
        ),
        ("KeyError: 'ord_42'", "KeyError: 'ord_7'"),
        ("ValueError: token tok_9f2a refused", "ValueError: token tok_00b1 refused"),
        ("TimeoutError: at 2026-12-03T16:30:41.123+00:00", "TimeoutError: at 2026-12-04 09:01:02Z"),
        ("CarrierError: HTTP 503 (request 9f8e7d6c5b4a)", "CarrierError: HTTP 502 (request 0a1b2c3d4e5f)"),
        ("lease expired during attempt 3: the worker was lost", "lease expired during attempt 10: the worker was lost"),
        ("RuntimeError: at 0x7f3a2b1c", "RuntimeError: at 0x7f00aa00"),
    ],
)
def test_the_same_failure_with_other_values_has_one_fingerprint(first, second):
    assert fingerprint(first) == fingerprint(second)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("CarrierDown: no answer", "CarrierRefused: no answer"),
        ("ValueError: unknown country", "ValueError: unknown currency"),
        ("app.errors.Gone: x", "other.errors.Gone: x"),
    ],
)
def test_other_failures_keep_apart(first, second):
    assert fingerprint(first) != fingerprint(second)


def test_the_fingerprint_keeps_the_exception_type_and_the_words():
    assert fingerprint("CarrierDown: no answer after 30 s for order 3f2b1c9e-1111-4a2b-9c3d-abcdefabcdef") == (
        "CarrierDown: no answer after <n> s for order <uuid>"
    )
    assert fingerprint("KeyError: 'ord_42'") == "KeyError: <value>"
    assert fingerprint("boom") == "boom"


def test_only_the_first_line_counts_and_the_fingerprint_is_bounded():
    assert fingerprint("ValueError: bad\nTraceback (most recent call last): ...") == "ValueError: bad"
    assert len(fingerprint("E: " + "word " * 200)) <= len("E: ") + LONGEST

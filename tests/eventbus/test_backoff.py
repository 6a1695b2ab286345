"""Retry delays grow exponentially to a ceiling; full jitter stays below it."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventbus import Backoff


def test_ceilings_double_until_the_cap():
    backoff = Backoff(base_seconds=1, max_seconds=10, jitter=False)
    assert [backoff.delay(n) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


@given(failures=st.integers(min_value=1, max_value=60))
def test_full_jitter_stays_between_zero_and_the_ceiling(failures):
    backoff = Backoff(base_seconds=0.5, max_seconds=30)
    assert 0 <= backoff.delay(failures) <= backoff.ceiling(failures)


def test_a_cap_below_the_base_is_refused():
    with pytest.raises(ValueError, match="base_seconds"):
        Backoff(base_seconds=10, max_seconds=1)

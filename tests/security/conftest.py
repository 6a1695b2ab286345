"""The API clients of tests/api, for the security regression tests."""

from tests.api.conftest import ApiUser, _fresh_throttle_counts, alice, bob, price_list, staff

__all__ = ["ApiUser", "_fresh_throttle_counts", "alice", "bob", "price_list", "staff"]

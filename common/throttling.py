"""Throttles that count in the cache, and let a request through when the cache cannot answer."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import redis
from rest_framework import throttling

if TYPE_CHECKING:  # DRF imports this module while rest_framework.views is still loading
    from rest_framework.request import Request
    from rest_framework.views import APIView

log = logging.getLogger(__name__)
# After the cache failed to answer, requests skip it this long instead of each waiting for its timeout.
QUIET_AFTER_FAILURE_SECONDS = 2.0
_quiet_until = 0.0


class ScopedRateThrottle(throttling.ScopedRateThrottle):
    """DRF's scoped throttle; a cache that is down, hung (its socket timeout ends the wait) or full
    lets the request through, logged, instead of failing it: counting guards the request, it is
    not the request. While the cache is out, the limits (the token login's too) are not enforced.
    """

    def allow_request(self, request: Request, view: APIView) -> bool:
        global _quiet_until
        if time.monotonic() < _quiet_until:
            return True
        try:
            return super().allow_request(request, view)
        except (redis.RedisError, OSError) as error:
            _quiet_until = time.monotonic() + QUIET_AFTER_FAILURE_SECONDS
            log.warning("throttle cache unreachable, requests let through: %s", type(error).__name__)
            return True

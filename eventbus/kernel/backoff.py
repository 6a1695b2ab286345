"""Retry delays: exponential growth with a ceiling, and full jitter by default."""

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Delay before retry n (n = 1 after the first failure) is at most ``base * 2**(n-1)``, capped.

    With ``jitter`` (full jitter) the delay is drawn uniformly from zero to that ceiling, which
    spreads out retries of many deliveries that failed together.
    """

    base_seconds: float = 1.0
    max_seconds: float = 300.0
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.base_seconds < 0 or self.max_seconds < self.base_seconds:
            raise ValueError("Backoff needs 0 <= base_seconds <= max_seconds")

    def ceiling(self, failures: int) -> float:
        return min(self.max_seconds, self.base_seconds * 2 ** max(failures - 1, 0))

    def delay(self, failures: int) -> float:
        ceiling = self.ceiling(failures)
        return random.uniform(0, ceiling) if self.jitter else ceiling

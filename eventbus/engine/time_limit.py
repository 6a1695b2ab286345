"""A handler's time limit: past it, the attempt is interrupted with ``HandlerTimeout``.

It uses ``SIGALRM``, so it works where handlers run, on a process's main thread (a Celery prefork
child, a test); elsewhere it does nothing and the lease is the only limit. A handler blocked in C
code that ignores signals is interrupted when that call returns; the lease (longer than any time
limit) re-drives it if its worker never comes back.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from eventbus.kernel.errors import HandlerTimeout


@contextmanager
def time_limit(seconds: float, *, what: str) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if seconds <= 0:
        raise HandlerTimeout(f"{what} has no time left of its limit")

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise HandlerTimeout(f"{what} ran past its time limit")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

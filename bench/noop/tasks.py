"""The baseline: a raw Celery no-op task through the same broker and workers as the bus."""

from celery import shared_task

from .stamps import stamp

NOOP_TASK = "bench.noop"


@shared_task(name=NOOP_TASK, ignore_result=True)
def noop(run: str, n: int) -> None:
    stamp(run, n)

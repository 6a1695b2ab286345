"""The probes' subscribers: one records its event, one kills its process."""

import os
import time
from pathlib import Path

from eventbus import current_envelope, subscribe

from .events import ProbeSent, ProcessKiller
from .models import ProbeEffect


@subscribe(ProbeSent, id="chaos.record_probe")
def record_probe(event: ProbeSent) -> None:
    envelope = current_envelope()
    assert envelope is not None
    if event.slow_seconds:
        _slow_first_time(Path(os.environ["CHAOS_DIR"]) / f"slow-{envelope.id}", event.slow_seconds)
    ProbeEffect.objects.create(event_id=envelope.id, n=event.n)


def _slow_first_time(marker: Path, seconds: float) -> None:
    """The first attempt outlives the handler time limit; the marker file tells a later attempt apart."""
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        time.sleep(seconds)


@subscribe(ProcessKiller, id="chaos.kill_the_process", max_attempts=2)
def kill_the_process(event: ProcessKiller) -> None:
    os._exit(1)

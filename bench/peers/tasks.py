"""The no-op task every peer sends: it notes when it started, as the bench's own no-op does."""

from jaiminho.send import save_to_outbox

from bench.noop.stamps import stamp

from .app import app

NOOP_TASK = "bench.peers.noop"


@app.task(name=NOOP_TASK, ignore_result=True)
def noop(run: str, n: int) -> None:
    stamp(run, n)


@save_to_outbox
def send_noop_through_jaiminho(run: str, n: int) -> None:
    """jaiminho's documented use: a function that calls the outside world, saved to its outbox."""
    noop.delay(run, n)

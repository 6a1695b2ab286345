"""The peers the bench drives, each as its documentation sets it up for durable delivery."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Setup:
    name: str  # BENCH_PEER, and the peer's name in the report
    package: str
    how: str  # one line for the report: what is durable, what relays
    relay: tuple[str, ...]  # the relay's management command, run as its own process
    relayed: bool = True  # every item reaches the broker through the relay (not only the failed ones)

    @property
    def slug(self) -> str:
        return self.name.replace("-", "_")


SETUPS = (
    Setup(
        name="celery-outbox",
        package="django-celery-outbox",
        how="OutboxCelery: every send_task is an outbox row; its relay polls and publishes (defaults)",
        relay=("celery_outbox_relay",),
    ),
    Setup(
        name="jaiminho-keep-order",
        package="django-jaiminho",
        how="keep-order: every call is an outbox row; the relay runs them in order, looping every 0.1 s",
        relay=("events_relay", "--run-in-loop", "--loop-interval", "0.1"),
    ),
    Setup(
        name="jaiminho-on-commit",
        package="django-jaiminho",
        how="publish-on-commit, every event persisted: sent after COMMIT, marked sent; the relay retries",
        relay=("events_relay", "--run-in-loop", "--loop-interval", "1"),
        relayed=False,
    ),
)

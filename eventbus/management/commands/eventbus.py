"""manage.py eventbus status | dlq | replay | hand-over | pause | resume | purge | rotate-keys | inbox | graph |
asyncapi | schemas."""

from __future__ import annotations

import getpass
import re
import signal
from argparse import ArgumentParser, ArgumentTypeError
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from eventbus import operations
from eventbus.engine import receiving
from eventbus.models import Delivery, Subscription
from eventbus.operations import asyncapi, graph, schemas
from eventbus.operations.flow import choreography
from eventbus.store import workers

DURATION = re.compile(r"^(\d+)([smhd])$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def moment(text: str) -> datetime:
    """A point in time: ISO 8601 (timezone-aware) or a duration back from now (``2h``, ``7d``)."""
    if DURATION.match(text):
        return timezone.now() - duration(text)
    parsed = parse_datetime(text)
    if parsed is None or timezone.is_naive(parsed):
        raise CommandError(f"--since takes an ISO time with a zone (2026-12-01T10:00Z) or a duration, not {text!r}")
    return parsed


def duration(text: str) -> timedelta:
    match = DURATION.match(text)
    if not match:
        raise CommandError(f"durations look like 90s, 15m, 12h or 7d, not {text!r}")
    return timedelta(seconds=int(match[1]) * UNIT_SECONDS[match[2]])


def operator_name(text: str) -> str:
    """A name for the audit trail: short enough to keep beside the system user."""
    if len(text) > 100:
        raise ArgumentTypeError("at most 100 characters")
    return text


class Command(BaseCommand):
    help = (
        "Operate the event bus: status, dead letters, replay and backfill, pause and resume a subscriber, "
        "purge, rotate field keys, the choreography map, event schemas."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("status", help="counts by state and subscriber, age of the oldest pending, workers seen")
        dlq = actions.add_parser("dlq", help="dead letters")
        dlq.add_argument("verb", choices=["list", "groups", "retry", "discard"])
        dlq.add_argument("ids", nargs="*", type=int, help="delivery ids (retry/discard)")
        dlq.add_argument("--all", action="store_true", help="every dead letter (retry/discard)")
        dlq.add_argument("--subscriber", help="only this subscriber's dead letters")
        replay = actions.add_parser("replay", help="backfill a subscriber, or run chosen deliveries again")
        replay.add_argument("--subscriber", help="with --since: deliver it the events it never got")
        replay.add_argument("--since", type=moment, help="ISO time or a duration back from now (7d)")
        replay.add_argument("--event", action="append", default=[], help="an event id: run its deliveries again")
        replay.add_argument("--delivery", action="append", default=[], type=int, help="a delivery id to run again")
        hand_over = actions.add_parser(
            "hand-over", help="after a split's switch: forward what waits for subscribers another service now runs"
        )
        pause = actions.add_parser("pause", help="hold a subscriber's deliveries (they spend no attempts)")
        pause.add_argument("subscriber")
        resume = actions.add_parser("resume", help="hand a paused subscriber's deliveries out again")
        resume.add_argument("subscriber")
        purge = actions.add_parser("purge", help="delete finished events older than a duration")
        purge.add_argument("--older-than", required=True, type=duration, help="e.g. 7d, 12h")
        rotate = actions.add_parser("rotate-keys", help="seal stored sensitive fields again with the newest field key")
        actions.add_parser("inbox", help="consume this service's inbox queue from RabbitMQ (split deployments)")
        draw = actions.add_parser("graph", help="who publishes and who reacts to each event")
        draw.add_argument("--format", choices=["mermaid", "markdown"], default="mermaid")
        actions.add_parser("asyncapi", help="the event catalogue as an AsyncAPI 3.1 document (JSON)")
        schema = actions.add_parser("schemas", help="published events' JSON Schemas beside their contexts")
        mode = schema.add_mutually_exclusive_group(required=True)
        mode.add_argument("--write", action="store_true", help="write the current schemas")
        mode.add_argument("--check", action="store_true", help="fail when a model and its schema disagree")
        for acting in (dlq, replay, hand_over, pause, resume, purge, rotate):
            acting.add_argument("--reason", default="", help="why: kept in the audit trail (and shown for a pause)")
            acting.add_argument(
                "--operator", default="", type=operator_name, help="who, beside the system user: audited"
            )

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action'].replace('-', '_')}")(options)

    def _status(self, options: dict[str, Any]) -> None:
        now = timezone.now()
        found = operations.status(now)
        self.stdout.write(f"outbox undispatched: {found.undispatched} (scheduled for later: {found.scheduled})")
        self.stdout.write(f"oldest pending age: {found.oldest_age_seconds(now):.1f}s")
        states = [state.value for state in Delivery.State]
        self.stdout.write(f"{'subscriber':40} " + " ".join(f"{s:>9}" for s in states) + "  note")
        notes = _notes()
        for subscriber in sorted(found.counts.keys() | notes.keys()):
            counts = found.counts.get(subscriber, {})
            row = f"{subscriber:40} " + " ".join(f"{counts.get(s, 0):>9}" for s in states)
            self.stdout.write(f"{row}  {notes.get(subscriber, '')}".rstrip())
        self._workers(now)

    def _workers(self, now: datetime) -> None:
        seen = workers.seen(now)
        up = [worker for worker in seen if worker.is_up(now)]
        if up:
            self.stdout.write(f"workers seen in the last minute: {len(up)}")
        else:
            self.stdout.write(
                "no worker seen in the last minute: nothing relays the outbox or runs deliveries "
                "(start one: celery -A config worker)"
            )
        for worker in seen:
            ago = (now - worker.last_seen_at).total_seconds()
            self.stdout.write(
                f"  {worker.name} pid {worker.pid}  {'up' if worker.is_up(now) else 'DOWN'}, last seen {ago:.0f}s ago"
                f"  queues {','.join(worker.queues) or '-'}  tasks taken {worker.processed}"
            )

    def _dlq(self, options: dict[str, Any]) -> None:
        letters = operations.dead_letters()
        if options["subscriber"]:
            letters = letters.filter(subscriber=options["subscriber"])
        if options["verb"] == "groups":
            self._dlq_groups(options["subscriber"] or "")
            return
        if options["verb"] == "list":
            for letter in letters:
                self.stdout.write(
                    f"{letter.id}\t{letter.subscriber}\t{letter.event.type}\t{letter.event.event_id}\t"
                    f"attempts={letter.attempts}\t{letter.last_error}"
                )
            if not letters:
                of = f" of {options['subscriber']}" if options["subscriber"] else ""
                self.stdout.write(f"no dead letters{of}")
            return
        if not options["ids"] and not options["all"]:
            raise CommandError(f"dlq {options['verb']} needs delivery ids or --all")
        if options["ids"]:
            letters = letters.filter(id__in=options["ids"])
        act = operations.retry if options["verb"] == "retry" else operations.discard
        changed = act(letters, by=_operator(options))
        self.stdout.write(f"{options['verb']}: {changed} deliver{'y' if changed == 1 else 'ies'}")

    def _dlq_groups(self, subscriber: str) -> None:
        """Dead letters by subscriber and error fingerprint, largest group first (a bounded scan)."""
        found = operations.dead_letter_groups(subscriber=subscriber)
        for group in found.groups:
            self.stdout.write(
                f"{group.count}\t{group.subscriber}\t{group.fingerprint}\t"
                f"oldest={_when(group.oldest)}\tnewest={_when(group.newest)}\tids={_ids(group.ids)}"
            )
        if not found.groups:
            self.stdout.write(f"no dead letters{f' of {subscriber}' if subscriber else ''}")
        if found.left_out:
            self.stdout.write(f"grouped the oldest {found.grouped} of {found.total} dead letters")

    def _replay(self, options: dict[str, Any]) -> None:
        if options["subscriber"] and options["since"]:
            try:
                created = operations.backfill(options["subscriber"], since=options["since"], by=_operator(options))
            except LookupError as error:
                raise CommandError(str(error)) from None
            self.stdout.write(f"backfilled {created} deliveries to {options['subscriber']}")
            return
        if not options["event"] and not options["delivery"]:
            raise CommandError("replay needs --subscriber S --since T, or --event ID / --delivery ID")
        chosen = Delivery.objects.filter(id__in=options["delivery"]) | Delivery.objects.filter(
            event__event_id__in=options["event"]
        )
        if options["subscriber"]:
            chosen = chosen.filter(subscriber=options["subscriber"])
        self.stdout.write(f"replaying {operations.replay(chosen, by=_operator(options))} deliveries")

    def _hand_over(self, options: dict[str, Any]) -> None:
        self.stdout.write(f"handed over {operations.hand_over(by=_operator(options))} deliveries")

    def _pause(self, options: dict[str, Any]) -> None:
        self._switch(options, operations.pause, done="paused", already="was paused already")

    def _resume(self, options: dict[str, Any]) -> None:
        self._switch(options, operations.resume, done="resumed", already="was not paused")

    def _switch(self, options: dict[str, Any], act: Callable[..., bool], *, done: str, already: str) -> None:
        subscriber = options["subscriber"]
        if act(subscriber, by=_operator(options)):
            self.stdout.write(f"{done} {subscriber}")
        elif Subscription.objects.filter(id=subscriber).exists():
            self.stdout.write(f"{subscriber} {already}: nothing changed")
        else:
            raise CommandError(f"no subscriber {subscriber!r} in the topology")

    def _purge(self, options: dict[str, Any]) -> None:
        removed = operations.purge(options["older_than"], by=_operator(options))
        self.stdout.write(f"purged {removed} finished events")

    def _rotate_keys(self, options: dict[str, Any]) -> None:
        changed = operations.rotate_field_keys(by=_operator(options))
        self.stdout.write(f"sealed again with the newest field key: {changed} outbox rows")

    def _inbox(self, options: dict[str, Any]) -> None:
        try:
            consumer = receiving.inbox()
        except ValueError as error:
            raise CommandError(str(error)) from None
        for stop in (signal.SIGTERM, signal.SIGINT):
            signal.signal(stop, lambda *_: consumer.stop())
        self.stdout.write(f"inbox {consumer.queues.inbox.name} consuming from {consumer.connection.as_uri()}")
        consumer.run()
        self.stdout.write(f"inbox stopped after {consumer.received} message(s)")

    def _asyncapi(self, options: dict[str, Any]) -> None:
        self.stdout.write(asyncapi.text(), ending="")

    def _graph(self, options: dict[str, Any]) -> None:
        render = graph.mermaid if options["format"] == "mermaid" else graph.markdown
        self.stdout.write(render(choreography()), ending="")

    def _schemas(self, options: dict[str, Any]) -> None:
        if options["write"]:
            for path in schemas.write():
                self.stdout.write(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
            return
        findings = schemas.check()
        for finding in findings:
            self.stderr.write(f"{finding.path}: {finding.message}")
        if findings:
            raise CommandError(f"{len(findings)} event schema problem(s)")
        self.stdout.write(f"{len(schemas.published_events())} event schemas match their models")


def _operator(options: dict[str, Any]) -> operations.Operator:
    """Who acts from the command line: the system user, and the name they give with --operator."""
    system_user = f"cli:{getpass.getuser()}"
    name = f"{options['operator']} ({system_user})" if options["operator"] else system_user
    return operations.Operator(name, via="cli", reason=options["reason"])


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "-"


def _ids(ids: list[int], shown: int = 5) -> str:
    """A group's first ids, for ``dlq retry ID…`` / ``dlq discard ID…``."""
    return ",".join(str(i) for i in ids[:shown]) + (f",… ({len(ids) - shown} more)" if len(ids) > shown else "")


def _notes() -> dict[str, str]:
    """What an operator should know of a subscriber beyond its counts: paused, or gone from the code."""
    notes = {}
    for row in Subscription.objects.exclude(paused_at__isnull=True, retired_at__isnull=True):
        if row.retired_at is not None:
            notes[row.id] = "RETIRED: gone from the code; its open deliveries wait"
        else:
            notes[row.id] = f"PAUSED since {row.paused_at:%Y-%m-%d %H:%M:%S}" + (
                f": {row.paused_reason}" if row.paused_reason else ""
            )
    return notes

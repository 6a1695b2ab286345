"""manage.py eventbus status | dlq list|retry|discard | purge --older-than."""

from __future__ import annotations

import re
from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from eventbus import operations
from eventbus.models import Delivery

DURATION = re.compile(r"^(\d+)([smhd])$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(text: str) -> timedelta:
    match = DURATION.match(text)
    if not match:
        raise CommandError(f"durations look like 90s, 15m, 12h or 7d, not {text!r}")
    return timedelta(seconds=int(match[1]) * UNIT_SECONDS[match[2]])


class Command(BaseCommand):
    help = "Operate the event bus: status, dead letters, purge of finished rows."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("status", help="counts by state and subscriber, age of the oldest pending")
        dlq = actions.add_parser("dlq", help="dead letters")
        dlq.add_argument("verb", choices=["list", "retry", "discard"])
        dlq.add_argument("ids", nargs="*", type=int, help="delivery ids (retry/discard)")
        dlq.add_argument("--all", action="store_true", help="every dead letter (retry/discard)")
        dlq.add_argument("--subscriber", help="only this subscriber's dead letters")
        purge = actions.add_parser("purge", help="delete finished events older than a duration")
        purge.add_argument("--older-than", required=True, type=duration, help="e.g. 7d, 12h")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _status(self, options: dict[str, Any]) -> None:
        now = timezone.now()
        found = operations.status(now)
        self.stdout.write(f"outbox undispatched: {found.undispatched} (scheduled for later: {found.scheduled})")
        self.stdout.write(f"oldest pending age: {found.oldest_age_seconds(now):.1f}s")
        states = [state.value for state in Delivery.State]
        self.stdout.write(f"{'subscriber':40} " + " ".join(f"{s:>9}" for s in states))
        for subscriber, counts in sorted(found.counts.items()):
            self.stdout.write(f"{subscriber:40} " + " ".join(f"{counts.get(s, 0):>9}" for s in states))

    def _dlq(self, options: dict[str, Any]) -> None:
        letters = operations.dead_letters()
        if options["subscriber"]:
            letters = letters.filter(subscriber=options["subscriber"])
        if options["verb"] == "list":
            for letter in letters:
                self.stdout.write(
                    f"{letter.id}\t{letter.subscriber}\t{letter.event.type}\t{letter.event.event_id}\t"
                    f"attempts={letter.attempts}\t{letter.last_error}"
                )
            return
        if not options["ids"] and not options["all"]:
            raise CommandError(f"dlq {options['verb']} needs delivery ids or --all")
        if options["ids"]:
            letters = letters.filter(id__in=options["ids"])
        changed = operations.retry(letters) if options["verb"] == "retry" else operations.discard(letters)
        self.stdout.write(f"{options['verb']}: {changed} deliver{'y' if changed == 1 else 'ies'}")

    def _purge(self, options: dict[str, Any]) -> None:
        removed = operations.purge(options["older_than"])
        self.stdout.write(f"purged {removed} finished events")

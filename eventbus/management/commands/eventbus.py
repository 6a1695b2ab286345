"""manage.py eventbus status | dlq list|retry|discard | purge --older-than | graph | schemas."""

from __future__ import annotations

import re
from argparse import ArgumentParser
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from eventbus import graph, operations, schemas
from eventbus.flow import choreography
from eventbus.models import Delivery

DURATION = re.compile(r"^(\d+)([smhd])$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(text: str) -> timedelta:
    match = DURATION.match(text)
    if not match:
        raise CommandError(f"durations look like 90s, 15m, 12h or 7d, not {text!r}")
    return timedelta(seconds=int(match[1]) * UNIT_SECONDS[match[2]])


class Command(BaseCommand):
    help = "Operate the event bus: status, dead letters, purge, the choreography map, event schemas."

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
        draw = actions.add_parser("graph", help="who publishes and who reacts to each event")
        draw.add_argument("--format", choices=["mermaid", "markdown"], default="mermaid")
        schema = actions.add_parser("schemas", help="published events' JSON Schemas beside their contexts")
        mode = schema.add_mutually_exclusive_group(required=True)
        mode.add_argument("--write", action="store_true", help="write the current schemas")
        mode.add_argument("--check", action="store_true", help="fail when a model and its schema disagree")

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

"""Publish Ping events from a process of its own, as a web process would."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from tests.busapp.events import Ping
from tests.eventbus.e2e_helpers import publish_many


class Command(BaseCommand):
    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--count", type=int, default=1000)
        parser.add_argument("--per-transaction", type=int, default=100)

    def handle(self, *args: Any, **options: Any) -> None:
        publish_many([(Ping(n=n), "k") for n in range(options["count"])], per_transaction=options["per_transaction"])
        self.stdout.write(f"published {options['count']}")

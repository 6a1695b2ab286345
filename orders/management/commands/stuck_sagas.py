"""manage.py stuck_sagas: the orders a saga deadline handed to an operator, oldest first."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from orders import selectors


class Command(BaseCommand):
    help = "List the orders whose saga stopped at a deadline that hands it to an operator (docs/saga.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--fail", action="store_true", help="exit with status 1 when any order is stuck")

    def handle(self, *args: Any, **options: Any) -> None:
        stuck = list(selectors.stuck_orders())
        if not stuck:
            self.stdout.write("No stuck sagas.")
            return
        self.stdout.write(f"{'order':36}  {'status':9}  {'stalled since (UTC)':19}  reason")
        for order in stuck:
            assert order.stalled_at is not None
            since = order.stalled_at.strftime("%Y-%m-%d %H:%M:%S")
            self.stdout.write(f"{order.id!s:36}  {order.status:9}  {since:19}  {order.stalled_reason}")
        self.stdout.write(f"{len(stuck)} stuck saga(s): see docs/saga.md, 'Every saga ends', for what to do.")
        if options["fail"]:
            raise SystemExit(1)

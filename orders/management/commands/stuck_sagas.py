"""manage.py stuck_sagas: the orders whose saga stopped and waits for a person, the longest stuck first."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from orders import stuck


class Command(BaseCommand):
    help = (
        "List the orders whose saga is stuck (docs/saga.md, 'Stuck sagas'): why, since when, and the admin "
        "page of the step."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--fail", action="store_true", help="exit with status 1 when any saga is stuck")
        parser.add_argument(
            "--json",
            action="store_true",
            help="one JSON document: the stuck sagas, and whether the read was cut short (truncated)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = stuck.stuck_sagas()
        if options["json"]:
            found = {"sagas": [_as_json(saga) for saga in report.sagas], "truncated": report.truncated}
            self.stdout.write(json.dumps(found, indent=2))
        else:
            self._table(report)
        if report.sagas and options["fail"]:
            raise SystemExit(1)

    def _table(self, report: stuck.StuckReport) -> None:
        sagas = report.sagas
        if not sagas:
            self.stdout.write("No stuck sagas." if not report.truncated else "No stuck sagas among those read.")
            self._cut_short(report)
            return
        self.stdout.write(f"{'order':36}  {'status':9}  {'since (UTC)':19}  {'reason':23}  why / where")
        for saga in sagas:
            first = True
            for finding in saga.findings:
                order, status = (str(saga.order.id), saga.order.status) if first else ("", "")
                since = finding.since.strftime("%Y-%m-%d %H:%M:%S")
                self.stdout.write(f"{order:36}  {status:9}  {since:19}  {finding.reason:23}  {finding.why}")
                if finding.link:
                    self.stdout.write(f"{'':36}  {'':9}  {'':19}  {'':23}  {finding.link}")
                first = False
        self.stdout.write(f"{report.count} stuck saga(s): see docs/saga.md, 'Stuck sagas', for what to do.")
        self._cut_short(report)

    def _cut_short(self, report: stuck.StuckReport) -> None:
        if report.truncated:
            self.stdout.write(
                f"Only the oldest {stuck.READ_AT_MOST} dead or discarded deliveries and candidate orders were read: "
                "there may be more."
            )


def _as_json(saga: stuck.StuckSaga) -> dict[str, Any]:
    return {
        "order": str(saga.order.id),
        "status": saga.order.status,
        "reason": str(saga.reason),
        "since": saga.since.isoformat(),
        "findings": [
            {"reason": str(f.reason), "why": f.why, "since": f.since.isoformat(), "link": f.link} for f in saga.findings
        ],
    }

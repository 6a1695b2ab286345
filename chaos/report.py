"""The matrix's table (one line per row, printed as it finishes) and var/chaos/report.json."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from .matrix import Outcome, Size

HEADER = f"{'row':20} {'result':6} {'orders':>6} {'probes':>6} {'recovery':>9} {'5xx':>4} {'max req':>8}  fault"


def line(outcome: Outcome) -> str:
    facts = outcome.facts
    requests = facts["requests"]
    server_errors = sum(n for status, n in requests["outcomes"].items() if status.startswith("5"))
    recovery = facts["recovery_seconds"]
    return (
        f"{outcome.row.name:20} {'ok' if outcome.passed else 'FAILED':6} {facts['orders_acknowledged']:>6} "
        f"{facts['probes_acknowledged']:>6} {(f'{recovery:.1f} s' if recovery is not None else 'never'):>9} "
        f"{server_errors:>4} {requests['max_ms'] / 1000:>6.1f} s  {outcome.row.fault}"
    )


def write(path: Path, outcomes: list[Outcome], size: Size) -> Path:
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "size": asdict(size),
        "passed": all(outcome.passed for outcome in outcomes),
        "rows": [
            {"row": o.row.name, "fault": o.row.fault, "passed": o.passed, "problems": o.problems, **o.facts}
            for o in outcomes
        ],
    }
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return path

"""The figures, each beside its target: printed as a table and written to bench/results.json."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .cpu import COMPONENTS

RESULTS = Path(__file__).resolve().parent / "results.json"


@dataclass(frozen=True)
class Target:
    text: str
    met: Callable[[dict[str, float]], bool]


def _at_least(name: str, bound: float) -> Target:
    return Target(f">= {bound:g}", lambda f: f[name] >= bound)


def _at_most(name: str, bound: float) -> Target:
    return Target(f"<= {bound:g}", lambda f: f[name] <= bound)


TARGETS: dict[str, Target | None] = {
    "baseline_tasks_per_s": None,
    "events_per_s": None,
    "ratio": _at_least("ratio", 1.0),
    "commit_floor_per_s": None,
    "floor_ratio": None,
    "cpu_ratio": _at_most("cpu_ratio", 1.0),
    "baseline_latency_ms_p50": None,
    "baseline_latency_ms_p99": None,
    "latency_ms_p50": None,
    "latency_p50_ratio": _at_most("latency_p50_ratio", 2.0),
    "latency_ms_p99": _at_most("latency_ms_p99", 25),
    "sagas_per_s": None,
    "saga_ratio": _at_least("saga_ratio", 0.15),
    "saga_latency_ms_p50": _at_most("saga_latency_ms_p50", 50),
    "saga_latency_ms_p99": _at_most("saga_latency_ms_p99", 200),
    "split_events_per_s": None,
    "split_ratio": _at_least("split_ratio", 0.5),
    "split_latency_ms_p50": _at_most("split_latency_ms_p50", 20),
    "split_latency_ms_p99": _at_most("split_latency_ms_p99", 100),
    "api_healthz_per_s": None,
    "api_place_per_s": None,
    "api_place_ratio": _at_least("api_place_ratio", 0.2),
    "api_place_ms_p50": None,
    "api_place_ms_p99": None,
    "api_detail_per_s": None,
    "api_detail_ratio": _at_least("api_detail_ratio", 0.3),
    "api_detail_ms_p50": None,
    "api_detail_ms_p99": None,
    "relay_per_s_empty": None,
    "relay_per_s_1m": Target(
        ">= 0.9 x relay_per_s_empty", lambda f: f["relay_per_s_1m"] >= 0.9 * f["relay_per_s_empty"]
    ),
}


def peer_targets(slug: str, relayed: bool) -> dict[str, Target | None]:
    """A peer's figures: the bus ahead of it on throughput, and two orders of magnitude on latency
    where the peer's items wait for its relay (a peer that sends on commit has no relay to wait for)."""
    prefix = f"peer_{slug}"
    lead = Target(">= 100 (peer's p50 / latency_ms_p50)", lambda f: f[f"{prefix}_latency_lead"] >= 100)
    return {
        f"{prefix}_per_s": None,
        f"{prefix}_ratio": None,
        f"{prefix}_bus_lead": Target(">= 1 (events_per_s / peer's)", lambda f: f[f"{prefix}_bus_lead"] >= 1.0),
        f"{prefix}_latency_ms_p50": None,
        f"{prefix}_latency_ms_p99": None,
        f"{prefix}_latency_lead": lead if relayed else None,
    }


def targets(details: dict) -> dict[str, Target | None]:
    """Every figure's target: the fixed ones, and those of each peer measured."""
    found = dict(TARGETS)
    for slug, peer in details.get("peers", {}).items():
        found.update(peer_targets(slug, peer["relayed"]))
    return found


def table(figures: dict[str, float], details: dict) -> str:
    rows = [("figure", "measured", "target", "")]
    for name, target in targets(details).items():
        if name not in figures:
            continue
        verdict = "" if target is None else ("ok" if target.met(figures) else "MISSED")
        rows.append((name, _format(figures[name]), target.text if target else "-", verdict))
    return _grid(rows)


def breakdown(details: dict) -> str:
    """Per item: CPU by process, Celery tasks run, deliveries per claim, and the publisher's own pace.

    The why behind the figures: when ``sent/s`` is close to the measured rate, the consumers kept
    up and the publisher set the pace; when it is far above, the consumers were the limit.
    """
    runs = {
        "baseline task": details.get("baseline_runs", []),
        "bus event": details.get("events_runs", []),
        "baseline latency task": [details["baseline_latency"]] if "baseline_latency" in details else [],
        "latency event": [details["latency"]] if "latency" in details else [],
        "saga (order)": [details["saga"]] if "saga" in details else [],
        "saga latency (order)": [details["saga_latency"]] if "saga_latency" in details else [],
        "split event": details.get("split_runs", []),
        "split latency event": [details["split_latency"]] if "split_latency" in details else [],
    }
    for peer in details.get("peers", {}).values():
        runs[f"{peer['name']} event"] = peer["runs"]
        runs[f"{peer['name']} latency event"] = [peer["latency"]]
    names = [name for name in COMPONENTS if name != "other"]
    columns = [*(f"cpu_ms_{name}" for name in names), "celery_tasks"]
    rows = [("per item (median run)", *names, "tasks")]
    rows[0] = (*rows[0], "all", "per claim", "sent/s")
    for label, measured in runs.items():
        if not measured:
            continue
        median = median_run(measured)
        cells = [f"{median['per_item'][column]:.2f}" for column in columns]
        claims = str(median.get("deliveries_per_claim", "-"))
        rows.append((label, *cells, f"{cpu_ms(median):.2f}", claims, f"{median['sent_per_s']:,.0f}"))
    return "Per item (CPU in milliseconds):\n" + _grid(rows)


def median_run(runs: list[dict]) -> dict:
    """The run of median speed."""
    return sorted(runs, key=lambda run: run["per_s"])[len(runs) // 2]


def cpu_ms(run: dict) -> float:
    """CPU milliseconds per item of every process that did the work (the rest of the machine left out)."""
    return sum(ms for name, ms in run["per_item"].items() if name.startswith("cpu_ms_") and name != "cpu_ms_other")


def verdicts(figures: dict[str, float], details: dict) -> dict[str, bool]:
    return {name: target.met(figures) for name, target in targets(details).items() if target and name in figures}


def write(figures: dict[str, float], details: dict) -> Path:
    document = {**figures, "targets_met": verdicts(figures, details), "details": details}
    RESULTS.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
    return RESULTS


def _grid(rows: list[tuple[str, ...]]) -> str:
    """Left-aligned columns, the first row a header underlined with dashes."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _format(value: float) -> str:
    return f"{value:.2f}" if abs(value) < 100 else f"{value:,.0f}"

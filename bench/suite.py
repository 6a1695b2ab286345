"""The measurements in order, each figure kept with the details that explain it.

Fresh database, Redis and fake ledgers → worker warm-up → throughput (baseline and bus,
interleaved, repeated) → latency at a steady rate → order sagas: throughput, then latency at a
steady rate → workers stopped → the REST API beside /healthz → relay over an empty table and over
finished rows.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from datetime import UTC, datetime

from eventbus import conf

from . import api, busstats, commit_floor, latency, relay_speed, report, saga, services, split, throughput
from .measuring import Measured
from .noop.stamps import stamp_dir
from .workers import ROOT, Workers

VAR = ROOT / "var" / "bench"
NOISY_CORES = 0.25  # more CPU than this used by other processes makes a run suspect


def run_all(args: argparse.Namespace) -> tuple[dict[str, float], dict]:
    """Every measurement the arguments ask for: (the figures, the details behind them)."""
    services.reset_database()
    services.stock_price_list()
    services.flush_redis()
    services.reset_fake_ledgers()
    shutil.rmtree(stamp_dir(), ignore_errors=True)
    stamp_dir().mkdir(parents=True)

    figures: dict[str, float] = {}
    details: dict = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "args": vars(args)}
    if not args.skip_live:
        say("starting the worker (celery -A config worker -c 2) and warming up")
        workers = Workers(log=VAR / "worker.log").start()
        try:
            live(workers, args, figures, details)
        finally:
            workers.stop()
        if not args.skip_split:
            across_services(args, figures, details)
        if args.sagas and args.api_requests:
            rest_api(args, figures, details)
        if args.peers:
            peers(args, figures, details)
    if not args.skip_relay:
        relay(args, figures, details)
    return figures, details


def live(workers: Workers, args: argparse.Namespace, figures: dict[str, float], details: dict) -> None:
    throughput.baseline(workers, "warmup-tasks", 200)
    throughput.events(workers, "warmup-events", 200)

    baselines: list[Measured] = []
    buses: list[Measured] = []
    details["baseline_runs"], details["events_runs"], details["commit_floor_runs"] = [], [], []
    for i in range(1, args.repeat + 1):
        services.truncate_bus_tables()
        baselines.append(throughput.baseline(workers, f"tasks-{i}", args.items))
        details["baseline_runs"].append(describe(baselines[-1]))
        say(f"baseline run {i}: {baselines[-1].per_s:,.0f} tasks/s{notes(details['baseline_runs'][-1])}")
        services.truncate_bus_tables()
        buses.append(throughput.events(workers, f"events-{i}", args.items))
        run = {**describe(buses[-1]), **busstats.batching(), "redriven": busstats.redriven()}
        if run["redriven"]:
            run["per_s_before_stall"] = round(buses[-1].per_s_before(run["redriven"]), 1)
        details["events_runs"].append(run)
        say(f"events run {i}: {buses[-1].per_s:,.0f} events/s{notes(run)}")
        floor = commit_floor.commits(args.items)
        details["commit_floor_runs"].append({name: round(value, 3) for name, value in vars(floor).items()})
        say(f"commit floor run {i}: {floor.per_s:,.0f} one-row transactions/s, the publisher alone")
    figures["baseline_tasks_per_s"] = statistics.median(m.per_s for m in baselines)
    figures["events_per_s"] = statistics.median(m.per_s for m in buses)
    figures["ratio"] = figures["events_per_s"] / figures["baseline_tasks_per_s"]
    figures["commit_floor_per_s"] = statistics.median(run["per_s"] for run in details["commit_floor_runs"])
    figures["floor_ratio"] = figures["commit_floor_per_s"] / figures["baseline_tasks_per_s"]
    figures["cpu_ratio"] = report.cpu_ms(report.median_run(details["events_runs"])) / report.cpu_ms(
        report.median_run(details["baseline_runs"])
    )

    say(f"baseline latency: {args.rate:g} raw tasks/s for {args.seconds:g} s")
    raw = latency.paced_tasks(workers, "baseline-latency", rate=args.rate, seconds=args.seconds)
    figures["baseline_latency_ms_p50"] = raw.percentile(50)
    figures["baseline_latency_ms_p99"] = raw.percentile(99)
    details["baseline_latency"] = describe_paced(raw)
    say(f"baseline latency: p50 {raw.percentile(50):.1f} ms, p99 {raw.percentile(99):.1f} ms")

    services.truncate_bus_tables()
    say(f"latency: {args.rate:g} events/s for {args.seconds:g} s")
    paced = latency.paced(workers, "latency", rate=args.rate, seconds=args.seconds)
    figures["latency_ms_p50"] = paced.percentile(50)
    figures["latency_ms_p99"] = paced.percentile(99)
    details["latency"] = {
        **describe_paced(paced),
        "median_stages": busstats.latency_stages(paced.handed_over, paced.measured.starts),
        **busstats.batching(),
        "redriven": busstats.redriven(),
    }
    say(
        f"latency: p50 {figures['latency_ms_p50']:.1f} ms, p99 {figures['latency_ms_p99']:.1f} ms"
        f"{notes(details['latency'])}"
    )
    figures["latency_p50_ratio"] = figures["latency_ms_p50"] / figures["baseline_latency_ms_p50"]
    if args.sagas:
        sagas(workers, args, figures, details)


def sagas(workers: Workers, args: argparse.Namespace, figures: dict[str, float], details: dict) -> None:
    """The order saga on the same worker: orders placed → confirmed, flat out and then paced."""
    saga.throughput(workers, "warmup-sagas", 50)
    services.truncate_bus_tables()
    say(f"sagas: {args.sagas:,} orders as fast as one process places them")
    flat_out = saga.throughput(workers, "sagas", args.sagas)
    figures["sagas_per_s"] = flat_out.per_s
    if "baseline_tasks_per_s" in figures:
        figures["saga_ratio"] = flat_out.per_s / figures["baseline_tasks_per_s"]
    details["saga"] = {**describe(flat_out), "redriven": busstats.redriven(), "handling": saga.handling()}
    say(f"sagas: {flat_out.per_s:,.1f} orders/s confirmed{notes(details['saga'])}")

    services.truncate_bus_tables()
    say(f"saga latency: {args.saga_rate:g} orders/s for {args.saga_seconds:g} s")
    paced, stages = saga.paced(workers, "saga-latency", rate=args.saga_rate, seconds=args.saga_seconds)
    figures["saga_latency_ms_p50"] = paced.percentile(50)
    figures["saga_latency_ms_p99"] = paced.percentile(99)
    details["saga_latency"] = {
        **describe_paced(paced),
        "median_ms_after_placed": stages,
        "handling": saga.handling(),
        "redriven": busstats.redriven(),
    }
    say(
        f"saga latency: p50 {figures['saga_latency_ms_p50']:.1f} ms, p99 {figures['saga_latency_ms_p99']:.1f} ms"
        f"{notes(details['saga_latency'])}"
    )


def across_services(args: argparse.Namespace, figures: dict[str, float], details: dict) -> None:
    """The same no-op events, their subscriber in another service: throughput, then latency at the same rate."""
    say("split: the no-op subscriber in a remote service (own database, broker, worker, inbox), over RabbitMQ")
    with split.services(VAR) as (shop, remote):
        throughput.events(shop, "split-warmup", 200, groups=remote.groups)
        runs = []
        for i in range(1, args.repeat + 1):
            services.truncate_bus_tables()
            runs.append(throughput.events(shop, f"split-{i}", args.items, groups=remote.groups))
            say(f"split run {i}: {runs[-1].per_s:,.0f} events/s{notes(describe(runs[-1]))}")
        figures["split_events_per_s"] = statistics.median(m.per_s for m in runs)
        if "events_per_s" in figures:
            figures["split_ratio"] = figures["split_events_per_s"] / figures["events_per_s"]
        services.truncate_bus_tables()
        say(f"split latency: {args.rate:g} events/s for {args.seconds:g} s")
        paced = latency.paced(shop, "split-latency", rate=args.rate, seconds=args.seconds, groups=remote.groups)
    figures["split_latency_ms_p50"] = paced.percentile(50)
    figures["split_latency_ms_p99"] = paced.percentile(99)
    details["split_runs"] = [describe(m) for m in runs]
    details["split_latency"] = describe_paced(paced)
    say(
        f"split latency: p50 {figures['split_latency_ms_p50']:.1f} ms, p99 {figures['split_latency_ms_p99']:.1f} ms"
        f"{notes(details['split_latency'])}"
    )


def rest_api(args: argparse.Namespace, figures: dict[str, float], details: dict) -> None:
    """Each API figure beside /healthz, measured in turn on one server: repeated, medians kept."""
    customer_token, staff_token = api.tokens()
    kinds = {"healthz": api.healthz, "place": api.placing(customer_token), "detail": api.reading(staff_token)}
    runs: dict[str, list[api.Load]] = {kind: [] for kind in kinds}
    say(f"REST API: {args.api_requests:,} requests per run, {api.CLIENTS} clients, gunicorn -w 2")
    with api.server(api.free_port(), str(VAR / "gunicorn.log")) as port:
        for i in range(1, args.repeat + 1):
            for kind, request in kinds.items():
                runs[kind].append(api.closed_loop(port, args.api_requests, request))
                load = runs[kind][-1]
                say(f"api {kind} run {i}: {load.per_s:,.0f} req/s, p50 {load.percentile(50):.1f} ms {load.statuses}")
                if set(load.statuses) - {200, 201}:  # a figure of errors measures nothing: none is kept
                    details["api_error"] = f"api {kind}: answers other than 200/201: {load.statuses}"
                    say(f"{details['api_error']}; no API figure is kept (see {VAR / 'gunicorn.log'})")
                    return
    for kind, loads in runs.items():
        figures[f"api_{kind}_per_s"] = statistics.median(load.per_s for load in loads)
        figures[f"api_{kind}_ms_p50"] = statistics.median(load.percentile(50) for load in loads)
        figures[f"api_{kind}_ms_p99"] = statistics.median(load.percentile(99) for load in loads)
    figures["api_place_ratio"] = figures["api_place_per_s"] / figures["api_healthz_per_s"]
    figures["api_detail_ratio"] = figures["api_detail_per_s"] / figures["api_healthz_per_s"]
    details["api"] = {
        kind: [{"per_s": round(load.per_s, 1), "statuses": load.statuses} for load in loads]
        for kind, loads in runs.items()
    }


def peers(args: argparse.Namespace, figures: dict[str, float], details: dict) -> None:
    """Other outbox libraries, one after the other, driven as the bus was: throughput, then latency."""
    from .peers import measure as peer_measure
    from .peers.processes import running
    from .peers.setups import SETUPS

    details["peers"] = {}
    for setup in SETUPS:
        say(f"peer {setup.name} ({setup.package}): {setup.how}")
        with running(setup, VAR) as peer:
            peer_measure.throughput(peer, f"{setup.slug}-warmup", 200)
            runs = []
            for i in range(1, args.repeat + 1):
                runs.append(peer_measure.throughput(peer, f"{setup.slug}-{i}", args.items))
                say(f"peer {setup.name} run {i}: {runs[-1].per_s:,.0f} events/s{notes(describe(runs[-1]))}")
            say(f"peer {setup.name} latency: {args.rate:g} events/s for {args.seconds:g} s")
            paced = peer_measure.paced(peer, f"{setup.slug}-latency", rate=args.rate, seconds=args.seconds)
            p50, p99 = paced.percentile(50), paced.percentile(99)
            say(f"peer {setup.name} latency: p50 {p50:.1f} ms, p99 {p99:.1f} ms{notes(describe_paced(paced))}")
        figures.update(peer_figures(setup.slug, statistics.median(m.per_s for m in runs), paced, figures))
        details["peers"][setup.slug] = {
            "name": setup.name,
            "package": setup.package,
            "how": setup.how,
            "relayed": setup.relayed,
            "runs": [describe(m) for m in runs],
            "latency": describe_paced(paced),
        }


def peer_figures(slug: str, per_s: float, paced: latency.Latency, figures: dict[str, float]) -> dict[str, float]:
    """A peer's figures, and beside the run's own: ratios to raw Celery and the bus's leads over it."""
    found = {
        f"peer_{slug}_per_s": per_s,
        f"peer_{slug}_latency_ms_p50": paced.percentile(50),
        f"peer_{slug}_latency_ms_p99": paced.percentile(99),
    }
    if "baseline_tasks_per_s" in figures:
        found[f"peer_{slug}_ratio"] = per_s / figures["baseline_tasks_per_s"]
    if "events_per_s" in figures:
        found[f"peer_{slug}_bus_lead"] = figures["events_per_s"] / per_s
    if "latency_ms_p50" in figures:
        found[f"peer_{slug}_latency_lead"] = paced.percentile(50) / figures["latency_ms_p50"]
    return found


def relay(args: argparse.Namespace, figures: dict[str, float], details: dict) -> None:
    batch = conf.current().batch_size
    empty = []
    for i in range(1, args.relay_repeat + 1):
        empty.append(relay_speed.over_empty(args.relay_rows, batch))
        say(f"relay over an empty table, run {i}: {empty[-1].per_s:,.0f} rows/s")
    services.truncate_bus_tables()
    say(f"loading {args.finished_rows:,} finished rows")
    started = time.perf_counter()
    relay_speed.load_finished(args.finished_rows)
    say(f"loaded in {time.perf_counter() - started:.1f} s")
    full = []
    for i in range(1, args.relay_repeat + 1):
        full.append(relay_speed.over_finished(args.relay_rows, batch))
        say(f"relay over {args.finished_rows:,} finished rows, run {i}: {full[-1].per_s:,.0f} rows/s")
    figures["relay_per_s_empty"] = statistics.median(r.per_s for r in empty)
    figures["relay_per_s_1m"] = statistics.median(r.per_s for r in full)
    details["relay"] = {
        "batch": batch,
        "pending_rows": args.relay_rows,
        "finished_rows": args.finished_rows,
        "empty_runs": [round(r.per_s) for r in empty],
        "finished_runs": [round(r.per_s) for r in full],
    }


def describe_paced(paced: latency.Latency) -> dict:
    """A run at a steady rate: as ``describe``, with the rate kept up and the latency percentiles."""
    return {
        **describe(paced.measured),
        "achieved_rate": round(paced.achieved_rate, 1),
        **{f"p{p}_ms": round(paced.percentile(p), 2) for p in (10, 50, 90, 99, 99.9, 100)},
    }


def describe(measured: Measured) -> dict:
    return {
        "items": measured.items,
        "seconds": round(measured.seconds, 3),
        "per_s": round(measured.per_s, 1),
        "sent_per_s": round(measured.items / measured.sent_seconds, 1),
        "busy_elsewhere_cores": round(measured.busy_elsewhere(), 2),
        "per_item": {name: round(value, 3) for name, value in measured.per_item().items()},
        "tasks_run": measured.tasks_run,
        **({"started_twice": measured.repeated} if measured.repeated else {}),
    }


def notes(run: dict) -> str:
    """What makes a run suspect: deliveries attempted more than once, a busy machine."""
    found = []
    if run.get("redriven"):
        found.append(f"{run['redriven']} deliveries needed a second attempt (a retry, or a lease that expired)")
    if run.get("started_twice"):
        found.append(f"{run['started_twice']} items started twice")
    if "per_s_before_stall" in run:
        found.append(f"{run['per_s_before_stall']:,.0f}/s until then")
    if run["busy_elsewhere_cores"] > NOISY_CORES:
        found.append(f"other processes used {run['busy_elsewhere_cores']:.1f} cores meanwhile")
    return f" ({'; '.join(found)})" if found else ""


def say(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)

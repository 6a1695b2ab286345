"""The bench's figures: each beside its target, the peers' included, and the latency they derive from."""

from bench import report
from bench.latency import Latency
from bench.measuring import Measured

PEERS = {
    "celery_outbox": {"name": "celery-outbox", "relayed": True},
    "jaiminho_on_commit": {"name": "jaiminho-on-commit", "relayed": False},
}


def peer_figures(slug: str, *, bus_lead: float, latency_lead: float) -> dict[str, float]:
    return {
        f"peer_{slug}_per_s": 500.0,
        f"peer_{slug}_ratio": 0.5,
        f"peer_{slug}_bus_lead": bus_lead,
        f"peer_{slug}_latency_ms_p50": 600.0,
        f"peer_{slug}_latency_ms_p99": 900.0,
        f"peer_{slug}_latency_lead": latency_lead,
    }


def test_a_relayed_peer_is_to_be_beaten_on_throughput_and_by_a_hundredfold_on_latency():
    figures = peer_figures("celery_outbox", bus_lead=1.2, latency_lead=80)

    assert report.verdicts(figures, {"peers": PEERS}) == {
        "peer_celery_outbox_bus_lead": True,
        "peer_celery_outbox_latency_lead": False,
    }


def test_a_peer_that_sends_on_commit_has_no_latency_target():
    figures = peer_figures("jaiminho_on_commit", bus_lead=0.9, latency_lead=1.1)

    assert report.verdicts(figures, {"peers": PEERS}) == {"peer_jaiminho_on_commit_bus_lead": False}


def test_the_table_shows_each_peer_figure_beside_its_target():
    figures = {"ratio": 1.1, **peer_figures("celery_outbox", bus_lead=1.2, latency_lead=150)}

    rows = report.table(figures, {"peers": PEERS}).splitlines()

    assert [row.split()[0] for row in rows[2:]] == list(figures)
    assert rows[2].endswith("ok")
    assert next(row for row in rows if row.startswith("peer_celery_outbox_latency_lead")).endswith("ok")
    assert next(row for row in rows if row.startswith("peer_celery_outbox_per_s")).split()[-1] == "-"


def test_latency_runs_from_hand_over_to_start_and_the_rate_is_the_one_kept_up():
    measured = Measured(
        run="r",
        items=3,
        started_at=100.0,
        sent_seconds=1.0,
        seconds=1.1,
        starts={0: 100.004, 1: 100.510, 2: 101.002},
        cpu_seconds={},
        tasks_run={},
    )

    latency = Latency.of(measured, {0: 100.0, 1: 100.5, 2: 101.0})

    assert [round(ms, 3) for ms in latency.latencies_ms] == [2.0, 4.0, 10.0]
    assert latency.achieved_rate == 2.0
    assert round(latency.percentile(50), 3) == 4.0

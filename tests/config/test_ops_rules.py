"""ops/: the Prometheus alert rules and the Grafana dashboard use only metrics the code exports, and every
alert says what it means and where its runbook is. (CI also runs ``promtool check rules`` and
``promtool test rules`` on them, .ci/run.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.db import transaction
from prometheus_client.parser import text_string_to_metric_families

from eventbus import publish
from eventbus.testing import run_pending
from tests.busapp.events import Fanout
from tests.processes import ROOT

pytestmark = pytest.mark.django_db(transaction=True)
ALERTS = ROOT / "ops" / "prometheus" / "alerts.yml"
DASHBOARD = ROOT / "ops" / "grafana" / "saga-shop.json"
# Series Prometheus adds to every scrape itself.
PROMETHEUS_OWN = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
# PromQL words that are not metric names, and the parts of an expression that hold none.
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset"}
NOT_NAMES = re.compile(r'"[^"]*"|\{[^}]*\}|\[[^\]]*\]|\b(?:by|without|on|ignoring)\s*\([^)]*\)')
IDENTIFIER = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(\s*\()?")


def metric_names(expression: str) -> set[str]:
    """The metric names an expression reads: identifiers that are neither functions nor keywords."""
    bare = NOT_NAMES.sub(" ", expression.replace("$__rate_interval", "5m"))
    return {name for name, call in IDENTIFIER.findall(bare) if not call and name not in KEYWORDS}


def alert_rules() -> list[dict]:
    return [rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]]


def dashboard_expressions() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel.get("targets", [])]


@pytest.fixture
def exported(client) -> set[str]:
    """Every sample name /metrics answers once the bus has published, handled and retried, and every
    gauge it declares (one with labels has no sample while nothing waits)."""
    with transaction.atomic():
        publish(Fanout(n=1), key="k")  # record_fanout is handled, fail_until_fixed retries
    run_pending()
    response = client.get("/metrics", **settings.PROBE_AUTH)
    assert response.status_code == 200
    families = list(text_string_to_metric_families(response.content.decode()))
    gauges = {family.name for family in families if family.type == "gauge"}
    return gauges | {sample.name for family in families for sample in family.samples}


def test_the_expression_reader_finds_metric_names_and_nothing_else():
    expression = (
        'histogram_quantile(0.99, sum by (le, subscriber) (rate(a_bucket{outcome="retry"}[5m]))) > 1 '
        "and on() max without (instance) (b_total offset 5m) > bool 0"
    )
    assert metric_names(expression) == {"a_bucket", "b_total"}


def test_every_metric_the_alerts_and_the_dashboard_use_is_exported(exported):
    used = {name for rule in alert_rules() for name in metric_names(rule["expr"])}
    used |= {name for expression in dashboard_expressions() for name in metric_names(expression)}
    assert {"orders_stuck_sagas", "eventbus_handler_duration_seconds_bucket"} <= used
    assert used - exported - PROMETHEUS_OWN == set()


def test_every_alert_says_what_it_means_and_links_a_runbook_that_exists():
    rules = alert_rules()
    assert {rule["alert"] for rule in rules} >= {"EventbusDeadLetters", "SagasStuck", "EventbusWorkNotMoving"}
    for rule in rules:
        annotations = rule["annotations"]
        assert annotations["summary"], rule["alert"]
        assert annotations["description"], rule["alert"]
        document, anchor = annotations["runbook_url"].split("#")
        headings = Path(ROOT / document).read_text().splitlines()
        anchors = {_anchor(line) for line in headings if line.startswith("#")}
        assert anchor in anchors, f"{rule['alert']}: no heading #{anchor} in {document}"
        assert rule["labels"]["severity"] in {"warning", "critical"}


def test_the_dashboard_has_a_panel_for_stuck_sagas_dead_letters_and_latency():
    titles = {panel["title"] for panel in json.loads(DASHBOARD.read_text())["panels"]}
    assert {"Stuck sagas", "Dead letters", "Handler time p95, by subscriber", "Oldest due work"} <= titles


def _anchor(heading: str) -> str:
    """The anchor a Markdown heading gets on GitHub: lower case, punctuation dropped, spaces as dashes."""
    text = heading.lstrip("#").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")

"""docs/choreography.md is what `manage.py eventbus graph --format markdown` prints today."""

import os
import subprocess
import sys

from tests.processes import ROOT


def graph(output_format: str) -> str:
    """The command run as deployed (config.settings: the project's apps, not the test app)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1"}
    command = [sys.executable, "manage.py", "eventbus", "graph", "--format", output_format]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout


def test_the_committed_choreography_map_is_current():
    committed = (ROOT / "docs" / "choreography.md").read_text()
    assert committed == graph("markdown"), (
        "docs/choreography.md is stale: run  python manage.py eventbus graph --format markdown > docs/choreography.md"
    )


def test_the_mermaid_map_draws_every_subscription():
    flowchart = graph("mermaid")
    assert flowchart.startswith("flowchart LR\n")
    assert "event_orders_OrderCreated --> payments_charge_order" in flowchart
    assert "event_shipping_ShipmentFailed --> payments_refund_unshippable_order" in flowchart
    assert "busapp" not in flowchart

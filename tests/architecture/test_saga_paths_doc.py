"""docs/saga.md's paths table, walked against the code's map: every step exists, every saga subscriber appears."""

import itertools
import re

from eventbus.kernel import catalog
from eventbus.topology import all_subscribers
from tests.processes import ROOT

SAGA_CONTEXTS = ("orders", "payments", "shipping")


def paths_table() -> dict[str, list[list[str]]]:
    """Path name → its chains, each a list of steps: event class names and subscriber ids, alternating."""
    text = (ROOT / "docs" / "saga.md").read_text()
    section = text.split("## Paths", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| path")]
    table = {}
    for row in rows:
        name, chains, _ends = (cell.strip() for cell in row.strip("|").split(" | "))
        if set(name) <= {"-", " "}:
            continue
        table[name] = [_steps(chain) for chain in chains.split(";")]
    return table


def _steps(chain: str) -> list[str]:
    """The chain's names (event classes, subscriber ids), in order, without the prose around them."""
    return [name for name in re.findall(r"`([\w.]+)`", chain) if _is_step(name)]


def _is_step(name: str) -> bool:
    return name in _event_types() or (name.split(".")[0] in SAGA_CONTEXTS and "." in name)


def _event_types() -> dict[str, str]:
    """Class name → wire type, for the saga's events."""
    return {
        event_class.__name__: event_class.event_type
        for event_class in catalog.event_classes()
        if event_class.event_type.split(".")[0] in SAGA_CONTEXTS
    }


def wrong_steps(table: dict[str, list[list[str]]]) -> list[str]:
    """Each step of ``table`` that the code's map lacks, said in words."""
    subscribers = {found.id: found for found in all_subscribers()}
    types = _event_types()
    wrong = []
    for path, chains in table.items():
        for chain in chains:
            for before, after in itertools.pairwise(chain):
                if before in types and (after not in subscribers or subscribers[after].event_type != types[before]):
                    wrong.append(f"{path}: {after} does not react to {before}")
                elif before not in types and (
                    after not in types or types[after] not in subscribers[before].publishes_types
                ):
                    wrong.append(f"{path}: {before} does not declare that it publishes {after}")
    return wrong


def test_every_step_of_every_path_is_an_edge_of_the_map():
    table = paths_table()
    assert len(table) >= 8, table
    assert wrong_steps(table) == []


def test_every_subscriber_of_the_saga_appears_in_a_path():
    named = {step for chains in paths_table().values() for chain in chains for step in chain}
    saga = {
        found.id
        for found in all_subscribers()
        if found.id.split(".")[0] in SAGA_CONTEXTS and found.event_class.event_type.split(".")[0] in SAGA_CONTEXTS
    }  # orders' copy of the catalogue reacts to catalog events: no saga step
    assert saga - named == set()


def test_a_step_the_map_lacks_is_caught():
    made_up = {
        "made up": [
            ["OrderCreated", "payments.charge_order", "OrderConfirmed"],
            ["PaymentFailed", "orders.confirm_order"],
        ]
    }
    assert wrong_steps(made_up) == [
        "made up: payments.charge_order does not declare that it publishes OrderConfirmed",
        "made up: orders.confirm_order does not react to PaymentFailed",
    ]

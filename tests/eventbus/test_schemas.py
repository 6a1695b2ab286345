"""Event schemas: what counts as a compatible or a breaking change, and what --check demands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import Field, create_model

from eventbus import Event
from eventbus.kernel import upcasting
from eventbus.operations import schemas
from eventbus.operations.schemas import compare, schema_of


class Before(Event, type="schematest.Thing"):
    name: str
    count: int
    note: str | None = None


def schema_after(**fields: tuple[object, object]) -> dict:
    """The schema ``Before`` would have with these fields (a plain model: nothing is catalogued)."""
    model = create_model("Thing", **fields)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **model.model_json_schema(mode="serialization")}


BEFORE = {"name": (str, ...), "count": (int, ...), "note": (str | None, None)}


def test_the_same_model_is_no_change():
    assert compare(schema_of(Before), schema_after(**BEFORE)).kind == "same"


def test_an_optional_field_added_is_compatible():
    change = compare(schema_of(Before), schema_after(**BEFORE, colour=(str | None, None)))
    assert (change.kind, change.compatible) == ("compatible", ["optional field colour added"])


def test_a_required_field_made_optional_is_compatible():
    change = compare(schema_of(Before), schema_after(**{**BEFORE, "count": (int, 0)}))
    assert change.kind == "compatible"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"name": (str, ...), "note": (str | None, None)}, "field count removed"),
        ({**BEFORE, "count": (str, ...)}, "count retyped"),
        ({**BEFORE, "colour": (str, ...)}, "new required field colour"),
        ({**BEFORE, "note": (str, ...)}, "field note now required"),
    ],
)
def test_removed_retyped_or_newly_required_fields_are_breaking(fields, reason):
    change = compare(schema_of(Before), schema_after(**fields))
    assert change.kind == "breaking"
    assert reason in "; ".join(change.breaking)


def test_a_change_inside_a_nested_model_is_found():
    from orders.events import OrderCreated

    old = schema_of(OrderCreated)
    new = json.loads(json.dumps(old))
    del new["$defs"]["TaxedLine"]["properties"]["sku"]
    assert "field lines[].sku removed" in compare(old, new).breaking


def test_the_committed_schemas_match_the_models():
    tools = ("busapp.", "chaos.")  # the tests' and the chaos run's own events, never published by the shop
    project = [cls for cls in schemas.published_events() if not cls.event_type.startswith(tools)]
    assert len(project) == 18
    for event_class in project:
        assert schemas.schema_path(event_class).exists(), event_class.event_type
        assert not schemas._check_current(event_class), event_class.event_type
        assert not schemas._check_older(event_class), event_class.event_type


def test_an_older_schema_without_an_upcaster_path_fails_the_check(monkeypatch):
    from orders.events import OrderCreated

    monkeypatch.delitem(upcasting._upcasters, ("orders.OrderCreated", 1))
    [finding] = schemas._check_older(OrderCreated)
    assert finding.path.name == "OrderCreated.v1.json"
    assert "no upcaster path to v3" in finding.message


def test_a_breaking_change_without_a_new_version_fails_the_check(monkeypatch, tmp_path: Path):
    class Renamed(Event, type="schematest.Renamed"):
        title: str

    committed = tmp_path / "Renamed.v1.json"
    committed.write_text(json.dumps(schema_after(**BEFORE)))
    monkeypatch.setattr(schemas, "schema_path", lambda event_class: committed)
    [finding] = schemas._check_current(Renamed)
    assert "breaking" in finding.message
    assert "v2 with an upcaster from v1" in finding.message


def test_write_then_check_round_trips(monkeypatch, tmp_path: Path):
    class Fresh(Event, type="schematest.Fresh"):
        size: int = Field(gt=0)

    monkeypatch.setattr(schemas, "published_events", lambda: [Fresh])
    monkeypatch.setattr(schemas, "schema_path", lambda event_class: tmp_path / "Fresh.v1.json")
    assert [finding.message for finding in schemas.check()] == [
        "schematest.Fresh v1 has no committed schema: run `manage.py eventbus schemas --write`"
    ]
    assert schemas.write() == [tmp_path / "Fresh.v1.json"]
    assert schemas.check() == []
    assert schemas.write() == []

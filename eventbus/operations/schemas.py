"""Each published event's JSON Schema, committed beside its context, and what a change to it means.

``orders/schemas/OrderCreated.v2.json`` is the schema of ``orders.OrderCreated`` version 2, as its
pydantic model generates it. A model that no longer matches its committed schema is either a
compatible change (an optional field added, a required one made optional: older consumers still
read it, so the file is rewritten) or a breaking one (a field removed or retyped, a new required
field: stored events and older consumers would break), which needs a new version and an upcaster
from the old one. Schemas of older versions stay committed, as the record of what may still be
stored; each needs an upcaster path to the current version.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps

from eventbus.kernel import catalog, upcasting
from eventbus.kernel.event import Event

Schema = dict[str, Any]
FILE_NAME = re.compile(r"^(?P<name>\w+)\.v(?P<version>\d+)\.json$")
DESCRIPTIVE = {"title", "description", "default", "examples"}


@dataclass(frozen=True)
class Change:
    breaking: list[str] = field(default_factory=list)
    compatible: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "breaking" if self.breaking else "compatible" if self.compatible else "same"


@dataclass(frozen=True)
class Finding:
    """One reason ``--check`` fails."""

    path: Path
    message: str


def published_events() -> list[type[Event]]:
    """The event classes defined in installed apps' ``events`` modules."""
    return [cls for cls in catalog.event_classes() if apps.get_containing_app_config(cls.__module__)]


def schema_of(event_class: type[Event]) -> Schema:
    """The payload as it is stored and sent: the model's JSON (serialization) schema."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{event_class.event_type}/v{event_class.event_version}",
        **event_class.model_json_schema(mode="serialization"),
    }


def schema_path(event_class: type[Event]) -> Path:
    app = apps.get_containing_app_config(event_class.__module__)
    assert app is not None, f"{event_class.__module__} is not in an installed app"
    name = event_class.event_type.rsplit(".", 1)[-1]
    return Path(app.path) / "schemas" / f"{name}.v{event_class.event_version}.json"


def write() -> list[Path]:
    """Write every published event's current schema; the paths written."""
    written = []
    for event_class in published_events():
        path = schema_path(event_class)
        path.parent.mkdir(exist_ok=True)
        text = json.dumps(schema_of(event_class), indent=2, sort_keys=True) + "\n"
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            written.append(path)
    return written


def check() -> list[Finding]:
    """Every way the committed schemas and the models disagree; empty when all is well."""
    findings: list[Finding] = []
    for event_class in published_events():
        findings += _check_current(event_class)
        findings += _check_older(event_class)
    return findings


def compare(old: Schema, new: Schema) -> Change:
    """What going from ``old`` to ``new`` does to a reader of payloads written under ``old``."""
    change = Change()
    _compare(old, old, new, new, "", change)
    return change


def _check_current(event_class: type[Event]) -> list[Finding]:
    path = schema_path(event_class)
    name = f"{event_class.event_type} v{event_class.event_version}"
    if not path.exists():
        return [Finding(path, f"{name} has no committed schema: run `manage.py eventbus schemas --write`")]
    change = compare(json.loads(path.read_text()), schema_of(event_class))
    if change.kind == "compatible":
        reasons = "; ".join(change.compatible)
        return [Finding(path, f"{name} changed compatibly ({reasons}): run `manage.py eventbus schemas --write`")]
    if change.kind == "breaking":
        reasons = "; ".join(change.breaking)
        return [
            Finding(
                path,
                f"{name} changed in a breaking way ({reasons}): keep this schema, make the change "
                f"v{event_class.event_version + 1} with an upcaster from v{event_class.event_version}, "
                "then run `manage.py eventbus schemas --write`",
            )
        ]
    return []


def _check_older(event_class: type[Event]) -> list[Finding]:
    name = event_class.event_type.rsplit(".", 1)[-1]
    findings = []
    for path in sorted(schema_path(event_class).parent.glob(f"{name}.v*.json")):
        match = FILE_NAME.match(path.name)
        version = int(match["version"]) if match else 0
        current = event_class.event_version
        if version > current:
            findings.append(Finding(path, f"a schema newer than the model (v{current}) of {event_class.event_type}"))
        elif version < current and not upcasting.has_path(
            event_class.event_type, from_version=version, to_version=current
        ):
            stranded = f"stored {event_class.event_type} v{version} events could not be read"
            findings.append(Finding(path, f"{stranded}: no upcaster path to v{current}"))
    return findings


def _compare(old_root: Schema, old: Schema, new_root: Schema, new: Schema, where: str, change: Change) -> None:
    old, new = _resolve(old_root, old), _resolve(new_root, new)
    if _is_object(old) and _is_object(new):
        _compare_objects(old_root, old, new_root, new, where, change)
        return
    if "items" in old and "items" in new:
        _compare(old_root, old["items"], new_root, new["items"], f"{where}[]", change)
        old, new = _without(old, "items"), _without(new, "items")
    if "anyOf" in old and "anyOf" in new and len(old["anyOf"]) == len(new["anyOf"]):
        for old_option, new_option in zip(old["anyOf"], new["anyOf"], strict=True):
            _compare(old_root, old_option, new_root, new_option, where, change)
        old, new = _without(old, "anyOf"), _without(new, "anyOf")
    if _shape(old) != _shape(new):
        change.breaking.append(f"{where or 'the event'} retyped")


def _compare_objects(old_root: Schema, old: Schema, new_root: Schema, new: Schema, where: str, change: Change) -> None:
    old_fields, new_fields = old.get("properties", {}), new.get("properties", {})
    old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
    prefix = f"{where}." if where else ""
    for name in sorted(old_fields.keys() - new_fields.keys()):
        change.breaking.append(f"field {prefix}{name} removed")
    for name in sorted(new_fields.keys() - old_fields.keys()):
        if name in new_required:
            change.breaking.append(f"new required field {prefix}{name}")
        else:
            change.compatible.append(f"optional field {prefix}{name} added")
    for name in sorted(old_fields.keys() & new_fields.keys()):
        if name in new_required and name not in old_required:
            change.breaking.append(f"field {prefix}{name} now required")
        elif name in old_required and name not in new_required:
            change.compatible.append(f"field {prefix}{name} now optional")
        _compare(old_root, old_fields[name], new_root, new_fields[name], f"{prefix}{name}", change)


def _resolve(root: Schema, schema: Schema) -> Schema:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = {**root.get("$defs", {})[name], **_without(schema, "$ref")}
    return schema


def _is_object(schema: Schema) -> bool:
    return schema.get("type") == "object" or "properties" in schema


def _shape(schema: Schema) -> Schema:
    return {key: value for key, value in schema.items() if key not in DESCRIPTIVE}


def _without(schema: Schema, key: str) -> Schema:
    return {k: v for k, v in schema.items() if k != key}

"""The event catalogue as an AsyncAPI 3.1 document (``manage.py eventbus asyncapi``).

Every published event type is a channel of RabbitMQ's ``eventbus.events`` topic exchange, where
events travel when a context runs as its own service (inside one deployment they go through the
outbox, with the same envelope and payload); its routing key is the forwarding service and the
type. Each committed version of the type's JSON Schema is a message: the newest is what is
published now, older ones what may still be stored (a subscriber reads them upcast). A message's
payload is the CloudEvents 1.0 envelope in structured mode (``application/cloudevents+json``),
its ``data`` the event's schema as committed beside its context (``eventbus schemas``). The
publishing context's ``send`` and each subscriber's ``receive`` are the operations; a receive
names what its handler may publish.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from eventbus.kernel.envelope import Envelope
from eventbus.kernel.event import Event
from eventbus.operations import schemas
from eventbus.operations.flow import EventFlow, choreography
from eventbus.transport.broker_topology import EVENTS
from eventbus.transport.forwarding import CONTENT_TYPE, ORIGIN_HEADER

Document = dict[str, Any]
AMQP_BINDING_VERSION = "0.3.0"
ENVELOPE = "CloudEventsEnvelope"


def document() -> Document:
    """The whole document, the same for the same code and committed schemas."""
    classes = {cls.event_type: cls for cls in schemas.published_events()}
    flows = [flow for flow in choreography() if flow.event_type in classes]
    components: Document = {"schemas": {ENVELOPE: _envelope_schema()}, "messages": {}}
    channels, operations = {}, {}
    for flow in flows:
        versions = _committed(classes[flow.event_type])
        for version, schema in versions.items():
            components["messages"][_message_id(flow.event_type, version)] = _message(
                flow, version, schema, components["schemas"], newest=max(versions)
            )
        channels[flow.event_type] = _channel(flow, versions)
        operations.update(_operations(flow, list(versions)))
    return {
        "asyncapi": "3.1.0",
        "info": {
            "title": "Event catalogue",
            "version": _version(components["messages"]),
            "description": __doc__.split("\n\n", 1)[1].replace("\n", " ").strip(),
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "rabbitmq": {
                "host": "localhost:5672",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "description": "The broker between services (each service's EVENTBUS_BROKER_URL).",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": components,
    }


def text() -> str:
    return json.dumps(document(), indent=2, sort_keys=True) + "\n"


def _committed(event_class: type[Event]) -> dict[int, schemas.Schema]:
    """Every committed schema of the event's type, newest first (the model's own, if not committed)."""
    name = event_class.event_type.rsplit(".", 1)[-1]
    found = {}
    for path in schemas.schema_path(event_class).parent.glob(f"{name}.v*.json"):
        match = schemas.FILE_NAME.match(path.name)
        if match:
            found[int(match["version"])] = json.loads(path.read_text())
    found.setdefault(event_class.event_version, schemas.schema_of(event_class))
    return dict(sorted(found.items(), reverse=True))


def _channel(flow: EventFlow, versions: dict[int, schemas.Schema]) -> Document:
    return {
        "address": "{service}." + flow.event_type,
        "title": flow.event_type,
        "description": f"Published by the {flow.publisher} context; newest version v{max(versions)}.",
        "parameters": {"service": {"description": "The service that forwarded the event (its EVENTBUS_SERVICE)."}},
        "messages": {f"v{v}": {"$ref": f"#/components/messages/{_message_id(flow.event_type, v)}"} for v in versions},
        "servers": [{"$ref": "#/servers/rabbitmq"}],
        "bindings": {
            "amqp": {
                "is": "routingKey",
                "exchange": {"name": EVENTS.name, "type": EVENTS.type, "durable": True, "autoDelete": False},
                "bindingVersion": AMQP_BINDING_VERSION,
            }
        },
    }


def _operations(flow: EventFlow, versions: list[int]) -> dict[str, Document]:
    """The publisher's send (the newest version) and each subscriber's receive (every version)."""
    channel = {"$ref": f"#/channels/{flow.event_type}"}
    every_version = [{"$ref": f"#/channels/{flow.event_type}/messages/v{version}"} for version in versions]
    newest = max(versions)
    found = {
        f"{flow.event_type}.send": {
            "action": "send",
            "channel": channel,
            "title": f"{flow.publisher} publishes {flow.event_type}",
            "tags": [{"name": flow.publisher}],
            "messages": [{"$ref": f"#/channels/{flow.event_type}/messages/v{newest}"}],
        }
    }
    for reaction in flow.reactions:
        publishes = ", ".join(reaction.publishes) or "nothing"
        found[f"{reaction.subscriber}.receive"] = {
            "action": "receive",
            "channel": channel,
            "title": f"{reaction.subscriber} reacts to {flow.event_type}",
            "description": f"A subscriber of the {reaction.context} context; it may publish: {publishes}.",
            "tags": [{"name": reaction.context}],
            "messages": every_version,
        }
    return found


def _message(flow: EventFlow, version: int, schema: schemas.Schema, shared: dict[str, Any], *, newest: int) -> Document:
    prefix = _message_id(flow.event_type, version)
    data = _lift(schema, prefix, shared)
    state = "published now" if version == newest else f"may still be stored; read upcast to v{newest}"
    return {
        "name": flow.event_type,
        "title": f"{flow.event_type} v{version}",
        "summary": f"{flow.event_type} version {version} ({state}).",
        "contentType": CONTENT_TYPE,
        "payload": {
            "allOf": [
                {"$ref": f"#/components/schemas/{ENVELOPE}"},
                {
                    "type": "object",
                    "properties": {
                        "type": {"const": flow.event_type},
                        "dataversion": {"const": version},
                        "data": data,
                    },
                },
            ]
        },
        "headers": _headers(flow.event_type),
        "bindings": {"amqp": {"messageType": flow.event_type, "bindingVersion": AMQP_BINDING_VERSION}},
    }


def _headers(event_type: str) -> schemas.Schema:
    """The AMQP application headers the forwarder sets (``forwarding.headers_of``)."""
    return {
        "type": "object",
        "properties": {
            "type": {"const": event_type},
            "id": {"type": "string", "format": "uuid"},
            "subject": {"type": "string", "description": "The partition key (the aggregate id)."},
            "traceparent": {"type": "string", "description": "W3C Trace Context."},
            "tracestate": {"type": "string"},
            ORIGIN_HEADER: {"type": "string", "description": "The service that forwarded the event."},
        },
        "required": ["type", "id", ORIGIN_HEADER],
    }


def _lift(schema: schemas.Schema, prefix: str, shared: dict[str, Any]) -> schemas.Schema:
    """The schema with its ``$defs`` moved to the document's shared schemas, named after ``prefix``,
    and every reference to them rewritten; its own ``$schema`` and ``$id`` left out (an ``$id``
    would make its references resolve against another base)."""
    body = {key: value for key, value in schema.items() if key not in {"$defs", "$schema", "$id"}}
    for name, definition in schema.get("$defs", {}).items():
        shared[f"{prefix}.{name}"] = _rewritten(definition, prefix)
    return _rewritten(body, prefix)


def _rewritten(value: Any, prefix: str) -> Any:
    if isinstance(value, dict):
        return {
            key: (
                f"#/components/schemas/{prefix}.{item.removeprefix('#/$defs/')}"
                if key == "$ref" and isinstance(item, str) and item.startswith("#/$defs/")
                else _rewritten(item, prefix)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_rewritten(item, prefix) for item in value]
    return value


def _envelope_schema() -> schemas.Schema:
    """The envelope's attributes as they travel; ``data`` is each message's own."""
    return {
        **Envelope.model_json_schema(mode="serialization"),
        "description": "The CloudEvents 1.0 envelope (structured mode) around every event.",
    }


def _message_id(event_type: str, version: int) -> str:
    return f"{event_type}.v{version}"


def _version(messages: dict[str, Any]) -> str:
    """1.0.0 and a digest of every message: a new version or a changed schema changes it."""
    digest = hashlib.sha256(json.dumps(messages, sort_keys=True).encode()).hexdigest()[:12]
    return f"1.0.0+{digest}"

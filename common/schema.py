"""drf-spectacular post-processing hooks: what the generated OpenAPI document cannot say by itself.

- ``token_auth_first``: security schemes in the order the API tries them (its authentication
  classes), not alphabetically, so Swagger UI's Authorize dialog shows the token first.
- ``link_created_to_detail``: a ``201`` that documents a ``Location`` header gets an OpenAPI link
  to the ``GET`` of the resource it created (``{path}{id}/``, the ``id`` from the body).
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]


def token_auth_first(result: Schema, **_: Any) -> Schema:
    """Order ``components.securitySchemes`` by where each first appears in an operation's ``security``."""
    schemes = result.get("components", {}).get("securitySchemes")
    if not schemes:
        return result
    tried: list[str] = []
    for operation in _operations(result):
        for requirement in operation.get("security", []):
            tried.extend(name for name in requirement if name not in tried)
    rank = {name: index for index, name in enumerate(tried)}
    ordered = sorted(schemes, key=lambda name: (rank.get(name, len(rank)), name))
    result["components"]["securitySchemes"] = {name: schemes[name] for name in ordered}
    return result


def link_created_to_detail(result: Schema, **_: Any) -> Schema:
    """Link each 201 with a ``Location`` header to ``GET {path}{id}/``, when that operation exists."""
    paths: dict[str, Schema] = result.get("paths", {})
    for path, operations in paths.items():
        created = operations.get("post", {}).get("responses", {}).get("201")
        detail = paths.get(f"{path}{{id}}/", {}).get("get")
        if not created or "Location" not in created.get("headers", {}) or not detail:
            continue
        created.setdefault("links", {})[detail["operationId"]] = {
            "operationId": detail["operationId"],
            "parameters": {"id": "$response.body#/id"},
            "description": f"`GET {path}{{id}}/` with the `id` of this answer: the URL its `Location` header gives.",
        }
    return result


def _operations(result: Schema) -> list[Schema]:
    return [
        operation
        for operations in result.get("paths", {}).values()
        for operation in operations.values()
        if isinstance(operation, dict)
    ]

"""The other services of a split deployment, asked over HTTP for their part of a saga's story.

Each service serves its own timeline of a correlation id at ``/internal/eventbus/timeline/<id>``
(``eventbus.peer_api``), for callers that hold ``EVENTBUS_PEER_TOKEN``. A peer that does not answer
within the timeout is left out, and said to be: a story with a gap, never a page that hangs.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

log = logging.getLogger(__name__)
PATH = "/internal/eventbus/timeline/"


def parse_peers(peers: str) -> dict[str, str]:
    """``payments=https://payments.internal;...`` as service → base URL."""
    found = {}
    for part in filter(None, (part.strip() for part in peers.split(";"))):
        service, _, url = part.partition("=")
        found[service.strip()] = url.strip().rstrip("/")
    return found


def fetch_timeline(base_url: str, correlation_id: str, *, token: str, timeout: float) -> list[dict[str, Any]] | None:
    """The peer's events and deliveries of ``correlation_id`` as JSON, or None if it did not answer."""
    request = urllib.request.Request(
        f"{base_url}{PATH}{urllib.parse.quote(correlation_id, safe='')}",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return list(json.load(response)["events"])
    except (OSError, ValueError, KeyError) as error:  # urllib's errors are OSErrors; ValueError: bad JSON
        log.warning("peer %s gave no timeline for %s: %s", base_url, correlation_id, error)
        return None

"""The other services of a split deployment, asked over HTTP for their part of a saga's story.

Each service serves its own timeline of a correlation id at ``/internal/eventbus/timeline/<id>``
(``eventbus.peer_api``), for callers that hold ``EVENTBUS_PEER_TOKEN``. A peer that does not answer
within the timeout (each connect and read) is left out, and logged: a story with a gap, never a page
that hangs. Only staff pages ask (a customer's steps need no peer).
"""

from __future__ import annotations

import json
import logging
import urllib.parse
import urllib.request
from typing import Any

log = logging.getLogger(__name__)
PATH = "/internal/eventbus/timeline/"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A peer answers or not: a redirect would carry the token to wherever it points."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


# No proxy from the environment either: the token goes to the configured peer and nowhere else.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


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
        with _opener.open(request, timeout=timeout) as response:
            return list(json.load(response)["events"])
    except (OSError, ValueError, KeyError, TypeError) as error:  # urllib's errors are OSErrors; the rest: bad JSON
        log.warning("peer %s gave no timeline for %s: %s", base_url, correlation_id, error)
        return None

"""The internal endpoint a peer service reads a saga's story from (``eventbus.operations.story``).

Answers only a caller holding ``EVENTBUS_PEER_TOKEN`` (compared in constant time); without a token
configured the endpoint does not exist (404). It serves this database's part alone, never what it
would itself fetch from peers, so two services never ask each other in a loop.
"""

from __future__ import annotations

import hmac

from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from eventbus import conf
from eventbus.operations.story import as_json
from eventbus.store.history import timeline


@require_GET
def timeline_view(request: HttpRequest, correlation_id: str) -> JsonResponse:
    settings = conf.current()
    if not settings.peer_token:
        raise Http404("no peer token configured")
    given = request.headers.get("Authorization", "").encode()
    if not hmac.compare_digest(given, f"Bearer {settings.peer_token}".encode()):
        return JsonResponse({"detail": "a peer's token is required"}, status=401)
    return JsonResponse({"service": settings.service, "events": as_json(timeline(correlation_id))})

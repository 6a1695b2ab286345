"""Who may read what the probes know: ``/metrics`` and the details of ``/readyz``.

They tell order volumes, failure rates and which dependency is down: not for the public. With
``PROBE_TOKEN`` set, a caller shows it as ``Authorization: Bearer <token>`` (Prometheus:
``authorization: {credentials: ...}`` in its scrape config). Without it, they are open in
development only. ``/readyz``'s status code (200 or 503) stays open to every caller, as a load
balancer needs it.
"""

from __future__ import annotations

from hmac import compare_digest

from django.conf import settings
from django.http import HttpRequest


def may_read_probes(request: HttpRequest) -> bool:
    token = settings.PROBE_TOKEN
    if not token:
        return bool(settings.DEBUG)
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and compare_digest(sent.strip().encode(), token.encode())

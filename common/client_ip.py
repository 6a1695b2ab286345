"""The client's address, as the login lockout (django-axes) and DRF's throttles both see it.

Behind ``TRUSTED_PROXIES`` reverse proxies, each appending the address it received the request
from to ``X-Forwarded-For``, the client is the one the outermost trusted proxy saw: the
``TRUSTED_PROXIES``-th entry from the right. Entries further left are whatever the client sent and
prove nothing. With no trusted proxy the header is ignored: ``REMOTE_ADDR`` is the client. The same
rule as DRF's ``NUM_PROXIES``, which the settings set to the same number.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    remote_addr = str(request.META.get("REMOTE_ADDR", ""))
    proxies = settings.TRUSTED_PROXIES
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    if proxies == 0 or not forwarded:
        return remote_addr
    addresses = [address.strip() for address in forwarded.split(",")]
    return addresses[-min(proxies, len(addresses))]

"""DRF's own pages under a Content-Security-Policy their templates can live with.

DRF's login page and browsable API (development only) style elements with attributes, and the
browsable API with an inline style sheet, without the request's nonce: on those pages alone inline
styles are allowed. Scripts stay as strict as everywhere else.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, cast

from django.conf import settings
from django.utils.csp import CSP, build_policy
from rest_framework import renderers

Policy = dict[str, Collection[str] | str]


def drf_pages_policy() -> Policy:
    return {**cast(Policy, settings.SECURE_CSP), "style-src": [CSP.SELF, CSP.UNSAFE_INLINE]}


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> Any:
        page = super().render(data, accepted_media_type, renderer_context)
        response = (renderer_context or {}).get("response")
        if response is not None:  # a policy the view set is kept by Django's middleware
            response[str(CSP.HEADER_ENFORCE)] = build_policy(drf_pages_policy())
            response["Content-Type"] = f"{self.media_type}; charset={self.charset}"  # not a problem's JSON type
        return page

"""The admin's flow page: the choreography map with each reaction's outcomes over the last hour."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone

from eventbus.operations.flow import choreography

WINDOW = timedelta(hours=1)


def flow_page(request: HttpRequest) -> TemplateResponse:
    since = timezone.now() - WINDOW
    context = {
        **admin.site.each_context(request),
        "title": "Event flow",
        "flows": choreography(since=since),
        "since": since,
    }
    return TemplateResponse(request, "admin/eventbus/flow.html", context)

"""Which of the shop's contexts this process runs, from ``EVENTBUS_SERVICE`` and ``EVENTBUS_SERVICES``.

In the monolith every context runs here. In a split deployment a context another service runs has
no tables in this database (``ContextRouter``), no API routes and no admin pages here; its handlers
are still imported, so the bus knows which events to forward to it (docs/split-a-context.md).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin

from eventbus import conf


def runs_here(context: str) -> bool:
    return conf.current().deployment.runs_here(context)


def remote(app_label: str) -> bool:
    """True for a context of the shop that another service runs."""
    return app_label in settings.CONTEXTS and not runs_here(app_label)


class ContextRouter:
    """A context's tables are created only in the database of the service that runs it."""

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if remote(app_label) else None


def drop_remote_admin_pages(site: admin.AdminSite) -> None:
    """Unregister the admin pages of the contexts another service runs (their tables are not here)."""
    for model in list(site._registry):
        if remote(model._meta.app_label):
            site.unregister(model)

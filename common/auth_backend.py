"""Django's password login, refusing the demo accounts outside development.

``manage.py seed_demo`` makes accounts with passwords printed in the README (a superuser among
them) and puts them in the ``DEMO_GROUP`` group. Should a database seeded in development go to
production, those accounts cannot log in there: with ``DEBUG`` off, this backend refuses them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import backends

DEMO_GROUP = "demo accounts (development only)"


class ModelBackend(backends.ModelBackend):
    def user_can_authenticate(self, user: Any) -> bool:
        if not settings.DEBUG and user.groups.filter(name=DEMO_GROUP).exists():
            return False
        return super().user_can_authenticate(user)

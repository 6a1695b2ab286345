"""What every entry point does first: load the settings, and stop with one line if they cannot be.

A missing or malformed variable raises ``ImproperlyConfigured`` naming it (``config/settings.py``);
at an entry point that message is all a person needs, not the fifty lines of traceback around it.
"""

from __future__ import annotations

import os
import sys

from django.core.exceptions import ImproperlyConfigured


def load_settings(program: str, *, exit_status: int = 1) -> None:
    """Import the settings now; if they refuse the environment, say why on stderr and exit."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 (the first read imports the settings module)
    except ImproperlyConfigured as error:
        where = "" if "docs/" in str(error) else " (docs/configuration.md)"
        print(f"{program}: {error}{where}", file=sys.stderr)
        raise SystemExit(exit_status) from None

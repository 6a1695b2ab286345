"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

from config import telemetry

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
telemetry.setup()  # before the application loads its middleware
application = get_asgi_application()

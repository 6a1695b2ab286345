"""ASGI entry point."""

from django.core.asgi import get_asgi_application

from config import startup, telemetry

startup.load_settings("config.asgi")
telemetry.setup()  # before the application loads its middleware
application = get_asgi_application()

"""WSGI entry point (gunicorn config.wsgi)."""

from django.core.wsgi import get_wsgi_application

from config import startup, telemetry

# Exit status 3 is gunicorn's "worker failed to boot": it stops the server, rather than restarting
# a worker that cannot start over and over.
startup.load_settings("config.wsgi", exit_status=3)
telemetry.setup()  # before the application loads its middleware
application = get_wsgi_application()

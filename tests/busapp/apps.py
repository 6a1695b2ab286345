"""App config of the bus test app."""

from django.apps import AppConfig


class BusappConfig(AppConfig):
    name = "tests.busapp"
    label = "busapp"
    default_auto_field = "django.db.models.BigAutoField"

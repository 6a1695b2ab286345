"""App config of the chaos run's probe app."""

from django.apps import AppConfig


class ProbeConfig(AppConfig):
    name = "chaos.probe"
    label = "chaos_probe"
    default_auto_field = "django.db.models.BigAutoField"

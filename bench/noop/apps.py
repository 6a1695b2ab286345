"""App config of the bench's no-op app."""

from django.apps import AppConfig


class NoopConfig(AppConfig):
    name = "bench.noop"
    label = "bench_noop"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import querycount

        if querycount.ENABLED:
            querycount.install()

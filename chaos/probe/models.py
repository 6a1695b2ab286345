"""One row per handled probe event, deliberately without a unique key: a second application is a second row."""

from django.db import models


class ProbeEffect(models.Model):
    event_id = models.UUIDField()
    n = models.IntegerField()
    handled_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["n"], name="chaos_probe_n")]

    def __str__(self) -> str:
        return f"probe {self.n} ({self.event_id})"

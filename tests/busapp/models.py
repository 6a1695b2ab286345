"""What the test handlers leave behind: one Effect row per handler run that committed."""

from django.db import models


class Effect(models.Model):
    subscriber = models.CharField(max_length=100)
    event_id = models.UUIDField()
    key = models.CharField(max_length=100)
    n = models.IntegerField()
    handled_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.subscriber} {self.key}#{self.n}"


class Switch(models.Model):
    """A flag a test flips to 'fix' a failing handler."""

    name = models.CharField(max_length=50, unique=True)

    def __str__(self) -> str:
        return self.name

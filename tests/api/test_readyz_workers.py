"""/readyz tells operators whether a worker was seen in the last minute, without failing readiness:
the web takes orders with no worker up, and the outbox keeps their events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from eventbus.store import workers


@pytest.mark.django_db
def test_with_no_worker_seen_readyz_stays_ready_and_says_so(client):
    response = client.get("/readyz", **settings.PROBE_AUTH)
    assert response.status_code == 200
    assert response.json()["workers"] == {
        "seen_last_minute": 0,
        "note": "no worker seen in the last minute: events wait in the outbox",
    }


@pytest.mark.django_db(transaction=True)  # the probe counts on a connection of its own
def test_readyz_counts_the_workers_seen_in_the_last_minute(client):
    now = timezone.now()
    workers.beat(workers.Beat("celery@a", 1, ("eventbus",), now, 0), now=now)
    workers.beat(workers.Beat("celery@b", 2, ("payments",), now, 0), now=now - timedelta(seconds=20))
    workers.beat(workers.Beat("celery@gone", 3, ("orders",), now, 0), now=now - timedelta(minutes=3))
    assert client.get("/readyz", **settings.PROBE_AUTH).json()["workers"] == {"seen_last_minute": 2}


@pytest.mark.django_db
def test_the_public_is_not_told_about_workers(client):
    assert client.get("/readyz").json() == {"status": "ready"}

"""/healthz says the process answers; /readyz that the database and the broker do too."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.conf import settings

from config.celery import app
from tests.processes import free_port

pytestmark = pytest.mark.django_db
BROKER_SETTINGS = ["broker_url", "broker_transport", "broker_transport_options"]


@pytest.fixture
def point_broker_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Point the Celery app at another (Redis) broker for one test."""
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)  # Celery prefers it to its configuration
    saved = {name: app.conf[name] for name in BROKER_SETTINGS}

    def point(url: str) -> None:
        app.conf.update(broker_url=url, broker_transport=None, broker_transport_options={"socket_connect_timeout": 1})

    yield point
    app.conf.update(saved)


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_checks_the_database_and_the_broker(client):
    response = client.get("/readyz", **settings.PROBE_AUTH)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["checks"]) == ("ready", {"database": "ok", "broker": "ok"})


def test_readyz_is_503_and_says_why_when_the_broker_is_down(client, point_broker_at):
    point_broker_at(f"redis://127.0.0.1:{free_port()}/0")
    response = client.get("/readyz", **settings.PROBE_AUTH)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("error: ")
    assert "127.0.0.1" not in body["checks"]["broker"]


def test_readyz_follows_a_real_broker_going_down(client, point_broker_at, private_redis):
    point_broker_at(private_redis.url)
    assert client.get("/readyz").status_code == 200
    private_redis.stop()
    assert client.get("/readyz").status_code == 503

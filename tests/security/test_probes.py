"""/metrics and the details of /readyz are for operators: a Bearer PROBE_TOKEN, or development."""

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_metrics_without_the_probe_token_are_refused(client):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer a-guess").status_code == 401
    assert client.get("/metrics", **settings.PROBE_AUTH).status_code == 200


def test_readyz_tells_anyone_whether_it_is_ready_but_only_operators_why(client):
    public = client.get("/readyz")
    assert public.status_code == 200
    assert public.json() == {"status": "ready"}
    assert client.get("/readyz", **settings.PROBE_AUTH).json()["checks"] == {"database": "ok", "broker": "ok"}


def test_without_a_probe_token_they_are_open_in_development_only(client, settings):
    settings.PROBE_TOKEN = ""
    assert client.get("/metrics").status_code == 401
    settings.DEBUG = True
    assert client.get("/metrics").status_code == 200

"""The internal endpoint a peer service reads a saga's story from: off without a token, closed to a
wrong one; and a peer that does not answer leaves a story with a gap, not a hang."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from django.db import transaction

from eventbus import publish, timeline
from eventbus.testing import run_pending
from tests.busapp.events import Fanout

pytestmark = pytest.mark.django_db
URL = "/internal/eventbus/timeline/saga-1"


@pytest.fixture
def saga() -> None:
    with transaction.atomic():
        publish(Fanout(n=1), key="saga-1")
    run_pending()


def test_without_a_peer_token_the_endpoint_does_not_exist(client, saga):
    assert client.get(URL, HTTP_AUTHORIZATION="Bearer anything").status_code == 404


def test_a_wrong_token_is_refused(client, saga, settings):
    settings.EVENTBUS_PEER_TOKEN = "right"
    assert client.get(URL, HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get(URL).status_code == 401


def test_a_peer_with_the_token_reads_this_services_part(client, saga, settings):
    settings.EVENTBUS_PEER_TOKEN = "right"

    answer = client.get(URL, HTTP_AUTHORIZATION="Bearer right").json()

    [event] = answer["events"]
    assert event["type"] == "busapp.Fanout"
    assert {step["subscriber"] for step in event["deliveries"]} == {"busapp.record_fanout", "busapp.fail_until_fixed"}


@pytest.fixture
def silent_peer() -> Iterator[str]:
    """A peer that accepts the connection and never answers."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen(4)
        yield f"http://127.0.0.1:{listening.getsockname()[1]}"


def test_a_peer_that_does_not_answer_is_left_out_within_its_timeout(saga, settings, caplog, silent_peer):
    settings.EVENTBUS_PEERS = f"payments={silent_peer}"
    settings.EVENTBUS_PEER_TOKEN, settings.EVENTBUS_PEER_TIMEOUT = "right", 1.0
    started = time.monotonic()

    [event] = timeline("saga-1")

    assert 1.0 <= time.monotonic() - started < 3
    assert {step.service for step in event.deliveries} == {""}
    assert "gave no timeline for saga-1" in caplog.text

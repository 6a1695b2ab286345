"""The chaos run's checks find what they are there to find: a lost order, a probe applied twice or
never, a dead letter nobody expected, and one that gives no reason."""

import uuid

import pytest
from django.db import transaction

from chaos.invariants import acknowledged_problems, bus_problems
from chaos.probe.events import ProbeSent
from chaos.probe.models import ProbeEffect
from eventbus import publish
from eventbus.models import Delivery
from eventbus.testing import run_pending
from tests.saga.factories import place_order

pytestmark = pytest.mark.django_db


def published_probe(n: int) -> uuid.UUID:
    with transaction.atomic():
        return publish(ProbeSent(n=n), key=f"probe-{n}").id


def test_a_probe_handled_once_and_an_order_that_exists_are_no_problem():
    order = place_order()
    probe = published_probe(1)
    run_pending()

    assert acknowledged_problems([order.id], [probe]) == []


def test_a_lost_order_and_probes_applied_never_or_twice_are_problems():
    lost = uuid.uuid4()
    never, twice = published_probe(1), published_probe(2)
    ProbeEffect.objects.bulk_create([ProbeEffect(event_id=twice, n=2), ProbeEffect(event_id=twice, n=2)])

    problems = acknowledged_problems([lost], [never, twice])

    assert problems == [
        f"acknowledged order {lost} is lost",
        f"probe {never} took effect 0 times",
        f"probe {twice} took effect 2 times",
    ]


def test_a_dead_letter_is_a_problem_unless_expected_and_then_it_must_say_why():
    published_probe(1)
    run_pending()
    delivery = Delivery.objects.get(subscriber="chaos.record_probe")
    Delivery.objects.filter(id=delivery.id).update(state=Delivery.State.DEAD, last_error="handler gave up")

    assert bus_problems() == ["delivery to chaos.record_probe is dead: handler gave up"]
    assert bus_problems(lambda d: d.subscriber == "chaos.record_probe") == []

    Delivery.objects.filter(id=delivery.id).update(last_error="")
    assert bus_problems(lambda d: True) == [f"dead letter {delivery.id} to chaos.record_probe gives no reason"]

"""Dead letters grouped by subscriber and error fingerprint: the store's bounded grouping and `dlq groups`."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from eventbus import publish, store
from eventbus.models import Delivery
from eventbus.testing import run_pending
from tests.busapp.events import Fanout

pytestmark = pytest.mark.django_db
State = Delivery.State


def dead_letters(*errors: str) -> list[int]:
    """One dead delivery of busapp.fail_until_fixed per error, the first finished first."""
    for n in range(len(errors)):
        publish(Fanout(n=n), key=f"k{n}")
    run_pending()
    letters = list(Delivery.objects.filter(subscriber="busapp.fail_until_fixed").order_by("id"))
    start = timezone.now() - timedelta(hours=1)
    for minutes, (letter, error) in enumerate(zip(letters, errors, strict=True)):
        Delivery.objects.filter(id=letter.id).update(
            state=State.DEAD, last_error=error, finished_at=start + timedelta(minutes=minutes)
        )
    return [letter.id for letter in letters]


def test_dead_letters_failing_the_same_way_group_together_largest_first():
    ids = dead_letters("CarrierDown: no answer for order 1", "Refused: bad card", "CarrierDown: no answer for order 22")

    found = store.dead_letter_groups()

    assert [(g.subscriber, g.fingerprint, g.ids) for g in found.groups] == [
        ("busapp.fail_until_fixed", "CarrierDown: no answer for order <n>", [ids[0], ids[2]]),
        ("busapp.fail_until_fixed", "Refused: bad card", [ids[1]]),
    ]
    biggest = found.groups[0]
    assert biggest.oldest < biggest.newest
    assert (biggest.sample_id, biggest.sample_error) == (ids[0], "CarrierDown: no answer for order 1")
    assert (found.grouped, found.total, found.left_out) == (3, 3, 0)


def test_the_grouping_is_bounded_and_says_how_many_it_left_out():
    dead_letters("E: 1", "E: 2", "E: 3")

    found = store.dead_letter_groups(limit=2)

    assert [group.count for group in found.groups] == [2]
    assert (found.grouped, found.total, found.left_out) == (2, 3, 1)


def test_a_group_is_the_dead_letters_up_to_the_newest_the_operator_saw():
    ids = dead_letters("E: 1", "Other: x", "E: 3")

    assert store.dead_letter_group("busapp.fail_until_fixed", "E: <n>", up_to=ids[2]) == [ids[0], ids[2]]
    assert store.dead_letter_group("busapp.fail_until_fixed", "E: <n>", up_to=ids[1]) == [ids[0]]
    assert store.dead_letter_group("someone.else", "E: <n>", up_to=ids[2]) == []


def test_dlq_groups_prints_each_group(capsys):
    ids = dead_letters("CarrierDown: no answer for order 1", "CarrierDown: no answer for order 2")

    call_command("eventbus", "dlq", "groups")

    line = capsys.readouterr().out.strip()
    assert line.startswith("2\tbusapp.fail_until_fixed\tCarrierDown: no answer for order <n>\toldest=")
    assert line.endswith(f"ids={ids[0]},{ids[1]}")


def test_dlq_groups_says_when_there_is_none(capsys):
    call_command("eventbus", "dlq", "groups")
    assert capsys.readouterr().out == "no dead letters\n"


def test_dlq_groups_of_one_subscriber(capsys):
    dead_letters("E: 1")

    call_command("eventbus", "dlq", "groups", "--subscriber", "someone.else")

    assert capsys.readouterr().out == "no dead letters of someone.else\n"

"""subscribe(): declared next to the handler, checked when it is declared."""

import pytest

from eventbus import Backoff, subscribe
from eventbus.kernel.errors import NotAnEvent, SubscriptionError
from eventbus.topology.subscribers import subscriber, subscribers_of, unsubscribe
from tests.busapp.events import Ping


def test_handlers_modules_are_discovered_at_start_up():
    found = subscriber("busapp.record_ping")
    assert found is not None
    assert found in subscribers_of("busapp.Ping")


def test_subscriber_ids_default_to_package_and_function_name():
    assert subscriber("busapp.fail_until_fixed") is not None
    assert subscriber("busapp.record_in_order").ordered is True


def test_two_subscribers_with_one_id_fail():
    with pytest.raises(SubscriptionError, match="taken"):

        @subscribe(Ping, id="busapp.record_ping")
        def another(event: Ping) -> None: ...


def test_an_unknown_option_raises_at_the_call_site():
    with pytest.raises(TypeError):
        subscribe(Ping, retries=3)  # type: ignore[call-arg]


def test_subscribing_to_something_that_is_not_an_event_raises():
    with pytest.raises(NotAnEvent):
        subscribe(dict)  # type: ignore[arg-type]


@pytest.mark.parametrize("options", [{"max_attempts": 0}, {"backoff": 5}])
def test_malformed_options_raise(options):
    with pytest.raises(SubscriptionError):
        subscribe(Ping, **options)


def test_a_new_subscriber_is_registered_under_its_id():
    @subscribe(Ping, id="tests.extra", backoff=Backoff(base_seconds=1, max_seconds=2))
    def extra(event: Ping) -> None: ...

    try:
        assert subscriber("tests.extra").handler is extra
    finally:
        unsubscribe("tests.extra")
    assert subscriber("tests.extra") is None

"""Events the chaos run publishes beside the orders it places."""

from eventbus import Event


class ProbeSent(Event, type="chaos.ProbeSent"):
    """Counted once when handled; with ``slow_seconds``, its first attempt takes that long."""

    n: int
    slow_seconds: float = 0.0


class ProcessKiller(Event, type="chaos.ProcessKiller"):
    """Its handler kills the worker process that runs it, every time: a poison event."""

    n: int

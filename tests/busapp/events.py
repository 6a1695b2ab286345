"""Events the bus tests publish, one class per scenario so each has its own subscribers."""

from pydantic import Field

from eventbus import Event


class Ping(Event):
    event_type = "busapp.Ping"
    n: int = Field(ge=0)


class Fanout(Event):
    event_type = "busapp.Fanout"
    n: int


class Sequenced(Event):
    event_type = "busapp.Sequenced"
    n: int


class Hang(Event):
    """Its handler blocks on the first attempt (writing its pid to ``marker``), then records."""

    event_type = "busapp.Hang"
    marker: str


class Doom(Event):
    """Its handler kills its worker process when ``kill`` is set, and records otherwise."""

    event_type = "busapp.Doom"
    n: int
    kill: bool = False


class Slow(Event):
    """Two subscribers: one answers at once, one prepares for ``seconds`` on its first attempt."""

    event_type = "busapp.Slow"
    marker: str
    seconds: float


class Verdict(Event):
    """Its handler raises what ``outcome`` names: "permanent", "retry-after", "ok"."""

    event_type = "busapp.Verdict"
    outcome: str

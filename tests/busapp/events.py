"""Events the bus tests publish, one class per scenario so each has its own subscribers."""

from pydantic import Field

from eventbus import Event


class Ping(Event, type="busapp.Ping"):
    n: int = Field(ge=0)


class Fanout(Event, type="busapp.Fanout"):
    n: int


class Sequenced(Event, type="busapp.Sequenced"):
    n: int


class Hang(Event, type="busapp.Hang"):
    """Its handler blocks on the first attempt (writing its pid to ``marker``), then records."""

    marker: str


class Doom(Event, type="busapp.Doom"):
    """Its handler kills its worker process when ``kill`` is set, and records otherwise."""

    n: int
    kill: bool = False


class Slow(Event, type="busapp.Slow"):
    """Two subscribers: one answers at once, one prepares for ``seconds`` on its first attempt."""

    marker: str
    seconds: float


class Verdict(Event, type="busapp.Verdict"):
    """Its handler raises what ``outcome`` names: "permanent", "retry-after", "ok"."""

    outcome: str

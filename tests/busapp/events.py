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

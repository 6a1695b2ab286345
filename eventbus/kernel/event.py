"""The base of every published event: an immutable, typed fact with a stable name and a version.

Kept free of Django so that a context's ``events`` module can become a schema package of its own.
"""

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from eventbus.kernel import catalog
from eventbus.kernel.errors import EventBusError


class Event(BaseModel):
    """Subclass per fact, naming its wire type and version: ``class OrderPlaced(Event, type="orders.OrderPlaced")``.

    The wire name is written, never derived from the Python module, so moving or renaming the
    class changes nothing on the wire; the committed schemas freeze the pair. ``version`` starts
    at 1 and grows with each breaking change (with an upcaster from the one before).
    Unknown fields in stored data are ignored, so an older consumer reads a newer payload.
    """

    model_config = ConfigDict(frozen=True, extra="ignore", hide_input_in_errors=True)

    event_type: ClassVar[str]
    event_version: ClassVar[int] = 1

    def __init_subclass__(cls, *, type: str = "", version: int = 1, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not type:
            raise EventBusError(f'{cls.__qualname__} must name its wire type: class {cls.__name__}(Event, type="...")')
        if version < 1:
            raise EventBusError(f"{cls.__qualname__}: an event's version starts at 1, not {version}")
        cls.event_type = type
        cls.event_version = version

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        catalog.register(cls)

"""The base of every published event: an immutable, typed fact with a stable name and a version.

Kept free of Django so that a context's ``events`` module can become a schema package of its own.
"""

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from . import catalog


class Event(BaseModel):
    """Subclass per fact; ``event_type`` defaults to ``<top package>.<ClassName>``.

    Unknown fields in stored data are ignored, so an older consumer reads a newer payload.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    event_version: ClassVar[int] = 1

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "event_type" not in cls.__dict__:
            cls.event_type = f"{cls.__module__.split('.')[0]}.{cls.__name__}"
        catalog.register(cls)

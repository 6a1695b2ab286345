"""Which service runs which context: the same code runs as one monolith or as several services.

``EVENTBUS_SERVICES`` names the services a deployment is split into and the contexts (Django app
labels) each runs, ``*`` standing for every context not named: ``shop=*;payments=payments``.
``EVENTBUS_SERVICE`` says which of them this process is. Left empty, this process runs every
context and no event leaves its database (the monolith, the default).
"""

from __future__ import annotations

from dataclasses import dataclass

EVERY_OTHER = "*"


@dataclass(frozen=True)
class Deployment:
    here: str = ""
    """The service this process is; "" runs every context."""
    contexts: tuple[tuple[str, str], ...] = ()
    """(context, the service that runs it), for the contexts named."""
    rest: str = ""
    """The service of every context not named (the ``*``)."""

    @property
    def split(self) -> bool:
        return bool(self.here)

    @property
    def services(self) -> list[str]:
        return sorted({*(service for _, service in self.contexts), *([self.rest] if self.rest else [])})

    def service_of(self, context: str) -> str:
        return dict(self.contexts).get(context, self.rest) if self.split else ""

    def runs_here(self, context: str) -> bool:
        return not self.split or self.service_of(context) == self.here


def parse(here: str, services: str) -> Deployment:
    """The deployment ``EVENTBUS_SERVICE`` and ``EVENTBUS_SERVICES`` describe; ValueError if malformed."""
    here = here.strip()
    if not here:
        return Deployment()
    contexts: dict[str, str] = {}
    rest = ""
    for part in filter(None, (part.strip() for part in services.split(";"))):
        name, equals, listed = part.partition("=")
        name = name.strip()
        if not equals or not name:
            raise ValueError(f"{part!r} is not service=context,context")
        if not name.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"service name {name!r} may hold letters, digits, - and _ only (it is a routing key word)")
        for context in filter(None, (context.strip() for context in listed.split(","))):
            if context == EVERY_OTHER:
                if rest:
                    raise ValueError(f"both {rest} and {name} claim every other context (*)")
                rest = name
            elif contexts.setdefault(context, name) != name:
                raise ValueError(f"context {context} is in both {contexts[context]} and {name}")
    deployment = Deployment(here, tuple(sorted(contexts.items())), rest)
    if here not in deployment.services:
        raise ValueError(f"this process's service {here!r} is not one of {deployment.services or 'none'}")
    return deployment

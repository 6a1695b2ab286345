"""The bus's settings: one object, every default written once here.

Each field is read from the Django setting ``EVENTBUS_<FIELD>`` when a project sets it, else its
default applies. ``environment_overrides`` turns ``EVENTBUS_*`` environment variables into those
settings, parsed against the fields' types, for a settings module that configures from the environment.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from eventbus.kernel.backoff import Backoff
from eventbus.topology.deployment import Deployment
from eventbus.topology.deployment import parse as parse_deployment

PREFIX = "EVENTBUS_"


@dataclass(frozen=True)
class BusSettings:
    source: str = "/shop"
    """CloudEvents ``source`` of the events this deployment publishes."""
    queue: str = "eventbus"
    """The Celery queue of the relay and the sweep."""
    batch_size: int = 100
    """Outbox rows per relay round; deliveries per claim."""
    batch_seconds: float = 1.0
    """How long a worker keeps starting deliveries of one claim before it hands the rest back."""
    lease_seconds: float = 60.0
    """How long a claim is a worker's before the sweep re-drives it."""
    sweep_seconds: float = 2.0
    """How often the sweep (Celery beat) releases expired leases and wakes due work."""
    heartbeat_seconds: float = 15.0
    """How often a worker writes its heartbeat row (``/admin/flow/``, ``eventbus status``, ``/readyz``)."""
    pump_seconds: float = 5.0
    """How long one task keeps working while work is due before it hands over to a fresh message."""
    max_attempts: int = 8
    """Attempts before a delivery is dead-lettered, unless its subscriber sets its own."""
    backoff_seconds: float = 1.0
    """The first retry's delay; it doubles (with jitter) per attempt..."""
    backoff_max_seconds: float = 300.0
    """...up to this."""
    handler_timeout: float = 30.0
    """A handler attempt's time limit, unless its subscriber sets its own."""
    check_publishes: bool | None = None
    """Whether a handler that publishes an event it did not declare fails; None follows ``DEBUG``."""
    prepared_statements: bool = True
    """On PostgreSQL, whether the store prepares its hot statements on a connection; turn off behind a
    pooler that cannot keep them (PgBouncer in transaction mode before 1.22, or without
    ``max_prepared_statements``)."""
    doorbell_redis_url: str = ""
    """Redis for the doorbell's per-queue gates; empty: every commit sends its Celery message."""
    field_keys: str = ""
    """Fernet keys sealing sensitive event fields, comma-separated, newest first; required to publish."""
    service: str = ""
    """The service this process is, one of ``services``; empty: every context runs here (the monolith)."""
    services: str = ""
    """The services a split deployment runs, ``name=context,context;...``, ``*`` for every other context."""
    broker_url: str = ""
    """RabbitMQ, which carries the events that cross between services; needed when ``service`` is set."""
    broker_timeout: float = 5.0
    """How long a connection to RabbitMQ, or the broker's confirmation of one forwarded event, may take."""
    peers: str = ""
    """The other services whose part of a saga's timeline to join, ``name=base URL;...``."""
    peer_token: str = ""
    """The bearer token between services for their timelines; empty: the internal endpoint is off."""
    peer_timeout: float = 2.0
    """How long a peer may take to give its part of a timeline before it is left out."""

    @property
    def backoff(self) -> Backoff:
        return Backoff(base_seconds=self.backoff_seconds, max_seconds=self.backoff_max_seconds)

    @property
    def checks_publishes(self) -> bool:
        return bool(django_settings.DEBUG) if self.check_publishes is None else self.check_publishes

    @property
    def field_cipher(self) -> MultiFernet:
        """Seals with the first of ``field_keys``, opens with any of them (kernel/sensitive.py)."""
        return cipher_of(self.field_keys)

    @property
    def deployment(self) -> Deployment:
        """Which service runs which context (``service`` and ``services``, topology/deployment.py)."""
        return deployment_of(self.service, self.services)

    @property
    def newest_field_cipher(self) -> Fernet:
        """The first of ``field_keys`` alone: what every sealed value should open with after a rotation."""
        return Fernet(self.field_keys.split(",")[0].strip())


DEFAULTS: BusSettings = BusSettings()


@cache
def current() -> BusSettings:
    """The settings in force: the Django settings' ``EVENTBUS_*`` values over the defaults.

    Read once and kept (reading them costs ~40 µs, against a publish of ~1 ms); a change through
    ``override_settings`` (or pytest-django's ``settings``) sends ``setting_changed``, which drops it.
    """
    given = {
        field.name: getattr(django_settings, PREFIX + field.name.upper())
        for field in dataclasses.fields(BusSettings)
        if hasattr(django_settings, PREFIX + field.name.upper())
    }
    return dataclasses.replace(DEFAULTS, **given)


@cache
def deployment_of(service: str, services: str) -> Deployment:
    try:
        found = parse_deployment(service, services)
    except ValueError as error:
        raise ImproperlyConfigured(f"{PREFIX}SERVICE / {PREFIX}SERVICES: {error}") from None
    return found


@cache
def cipher_of(keys: str) -> MultiFernet:
    """The cipher of comma-separated Fernet keys; a missing or malformed key is a configuration error."""
    listed = [key.strip() for key in keys.split(",") if key.strip()]
    if not listed:
        raise ImproperlyConfigured(
            f"{PREFIX}FIELD_KEYS is empty: sensitive event fields cannot be sealed. Generate a key with "
            "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        )
    try:
        return MultiFernet([Fernet(key) for key in listed])
    except ValueError as error:
        raise ImproperlyConfigured(
            f"{PREFIX}FIELD_KEYS is malformed: a key is 32 url-safe base64 bytes ({error})"
        ) from None


@receiver(setting_changed)
def _forget(setting: str, **kwargs: Any) -> None:
    if setting.startswith(PREFIX) or setting == "DEBUG":
        current.cache_clear()


def environment_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """``EVENTBUS_*`` variables present in ``environ`` as Django settings, each parsed as its field's type."""
    found = {}
    for field in dataclasses.fields(BusSettings):
        name = PREFIX + field.name.upper()
        if name in environ:
            found[name] = _parse(name, environ[name], str(field.type))
    return found


BOOLEAN_WORDS = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
}


def _parse(name: str, raw: str, kind: str) -> Any:
    try:
        if kind.startswith("bool"):
            return BOOLEAN_WORDS[raw.strip().lower()]
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        return raw
    except (KeyError, ValueError) as error:
        raise ImproperlyConfigured(f"{name} is malformed: {raw!r} is not a {kind.split(' ')[0]}") from error

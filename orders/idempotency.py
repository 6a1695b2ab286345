"""Idempotency keys for placing orders: a retried request gets the first answer, never a second order.

A request first claims its key on its own, before the order's transaction, so that a duplicate
arriving meanwhile can be told "in flight" (409) instead of waiting: a new key by one INSERT, a key
seen before under a row lock. The answer is recorded in the same transaction as the order it
reports, so both commit or neither does. A key whose request died before answering is taken over
once its lock lapses.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from django.contrib.auth.models import User
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import IdempotencyKey

State = IdempotencyKey.State
KEPT_FOR = timedelta(hours=24)
IN_FLIGHT_LOCK = timedelta(seconds=60)


class KeyInFlight(Exception):
    """Another request with this key has not answered yet."""


class KeyReused(Exception):
    """This key already came with a different request body."""


class ClaimLost(Exception):
    """The key was taken over while this request was still working: its answer must not count."""


@dataclass(frozen=True)
class Claim:
    record_id: int
    owner: UUID


@dataclass(frozen=True)
class Replay:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def fingerprint(data: Any) -> str:
    """The request body's identity, whatever the order of its keys or its whitespace."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(canonical.encode()).hexdigest()


def begin(*, user: User, key: str, request_fingerprint: str, now: datetime | None = None) -> Claim | Replay:
    """Claim ``key`` for this request, or say what an earlier request with it got."""
    now = now or timezone.now()
    owner = uuid4()
    claim = _claim_new(user, key, request_fingerprint, owner, now)
    if claim is not None:
        return claim
    with transaction.atomic():
        record, created = IdempotencyKey.objects.select_for_update().get_or_create(
            user=user, key=key, defaults=_claimed(request_fingerprint, owner, now)
        )
        if created:
            return Claim(record.id, owner)
        if record.created_at <= now - KEPT_FOR:
            _save(record, _claimed(request_fingerprint, owner, now))
            return Claim(record.id, owner)
        if record.request_fingerprint != request_fingerprint:
            raise KeyReused(key)
        if record.state == State.COMPLETED:
            return Replay(record.response_status or 200, record.response_body, record.response_headers)
        if record.locked_until > now:
            raise KeyInFlight(key)
        _save(record, {"owner": owner, "locked_until": now + IN_FLIGHT_LOCK})
        return Claim(record.id, owner)


def _claim_new(user: User, key: str, request_fingerprint: str, owner: UUID, now: datetime) -> Claim | None:
    """A key never seen (the usual case) claimed by one INSERT; None when the key is there already."""
    in_transaction = transaction.get_connection().in_atomic_block
    try:  # inside a transaction, a savepoint keeps the conflict from spoiling it; alone, one statement
        with transaction.atomic() if in_transaction else nullcontext():
            record = IdempotencyKey.objects.create(user=user, key=key, **_claimed(request_fingerprint, owner, now))
    except IntegrityError:
        return None
    return Claim(record.id, owner)


def complete(claim: Claim, *, status: int, body: Any, headers: dict[str, str]) -> None:
    """Record the answer; call it inside the transaction that made what the answer reports."""
    answered = IdempotencyKey.objects.filter(id=claim.record_id, owner=claim.owner, state=State.IN_FLIGHT).update(
        state=State.COMPLETED, response_status=status, response_body=body, response_headers=headers
    )
    if answered != 1:
        raise ClaimLost(f"idempotency key {claim.record_id} is no longer held by this request")


def abandon(claim: Claim) -> None:
    """Free the key of a request that failed before answering, so the client may retry with it."""
    IdempotencyKey.objects.filter(id=claim.record_id, owner=claim.owner, state=State.IN_FLIGHT).delete()


def purge_expired(now: datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - KEPT_FOR
    deleted, _ = IdempotencyKey.objects.filter(created_at__lte=cutoff).delete()
    return deleted


def _claimed(request_fingerprint: str, owner: UUID, now: datetime) -> dict[str, Any]:
    return {
        "request_fingerprint": request_fingerprint,
        "state": State.IN_FLIGHT,
        "owner": owner,
        "locked_until": now + IN_FLIGHT_LOCK,
        "response_status": None,
        "response_body": None,
        "response_headers": {},
        "created_at": now,
    }


def _save(record: IdempotencyKey, changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        setattr(record, name, value)
    record.save(update_fields=list(changes))

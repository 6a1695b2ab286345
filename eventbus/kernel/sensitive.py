"""Sensitive event fields: sealed (encrypted) in the stored and sent payload, masked everywhere else.

A context marks a field ``payment_token: SensitiveStr``. In the event object it is a pydantic
``SecretStr`` (``repr``, ``str`` and logs show ``**********``; a handler reads it with
``get_secret_value()``). When the bus writes the payload (``model_dump(context=sealing(cipher))``)
the value becomes ``sealed:v1:`` and a Fernet token (AES-128-CBC with HMAC-SHA256); when it
reads one back (``model_validate(data, context=sealing(cipher))``) it opens it. Fernet comes from
``cryptography``; a ``MultiFernet`` of several keys opens what any of them sealed, which is how keys
are rotated (docs/security.md). A value without the prefix was written before the field was
sealed and is read as it is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Annotated, Any, Protocol

from cryptography.fernet import InvalidToken
from pydantic import (
    BaseModel,
    BeforeValidator,
    PlainSerializer,
    SecretStr,
    SerializationInfo,
    ValidationInfo,
    WithJsonSchema,
)

SEALED_PREFIX = "sealed:v1:"
MASK = "•••••• (sealed)"
_CIPHER = "eventbus.field_cipher"
SENSITIVE_MARK = "x-eventbus-sensitive"


class FieldCipher(Protocol):
    """What seals and opens a field: ``cryptography.fernet.Fernet`` or ``MultiFernet``."""

    def encrypt(self, data: bytes) -> bytes: ...

    def decrypt(self, token: bytes) -> bytes: ...


def sealing(cipher: FieldCipher) -> dict[str, Any]:
    """The pydantic context under which sensitive fields are sealed on dump and opened on validation."""
    return {_CIPHER: cipher}


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(SEALED_PREFIX)


def masked(data: Any) -> Any:
    """A stored payload with every sealed value replaced by a mask: what an operator may see."""
    if isinstance(data, dict):
        return {name: masked(value) for name, value in data.items()}
    if isinstance(data, list):
        return [masked(value) for value in data]
    return MASK if is_sealed(data) else data


@cache
def has_sensitive_fields(model: type[BaseModel]) -> bool:
    """Whether any field of ``model`` (or of a model nested in it) is sensitive."""
    return SENSITIVE_MARK in json.dumps(model.model_json_schema(mode="serialization"))


def contains_sealed(data: Any) -> bool:
    if isinstance(data, dict):
        return any(contains_sealed(value) for value in data.values())
    if isinstance(data, list):
        return any(contains_sealed(value) for value in data)
    return is_sealed(data)


def resealed(data: Any, rotate: Callable[[bytes], bytes]) -> Any:
    """``data`` with each sealed value sealed again by ``rotate`` (``MultiFernet.rotate``: the newest key)."""
    if isinstance(data, dict):
        return {name: resealed(value, rotate) for name, value in data.items()}
    if isinstance(data, list):
        return [resealed(value, rotate) for value in data]
    if not is_sealed(data):
        return data
    return SEALED_PREFIX + rotate(data.removeprefix(SEALED_PREFIX).encode()).decode()


def _cipher(context: Any) -> FieldCipher | None:
    return context.get(_CIPHER) if isinstance(context, dict) else None


def _seal(value: SecretStr, info: SerializationInfo) -> str:
    cipher = _cipher(info.context)
    if cipher is None:
        return str(value)  # masked: only the bus, which holds the keys, writes the real value
    return SEALED_PREFIX + cipher.encrypt(value.get_secret_value().encode()).decode()


def _open(value: Any, info: ValidationInfo) -> Any:
    if not is_sealed(value):
        return value
    cipher = _cipher(info.context)
    if cipher is None:
        raise ValueError("a sealed field can be opened only by the bus, with its field keys")
    try:
        return cipher.decrypt(value.removeprefix(SEALED_PREFIX).encode()).decode()
    except InvalidToken:
        raise ValueError("sealed with a key that is not among EVENTBUS_FIELD_KEYS, or altered") from None


SensitiveStr = Annotated[
    SecretStr,
    BeforeValidator(_open),
    PlainSerializer(_seal, return_type=str, when_used="always"),
    WithJsonSchema(
        {
            "type": "string",
            "writeOnly": True,
            SENSITIVE_MARK: True,
            "description": f"Sealed: '{SEALED_PREFIX}' and a Fernet token, opened only with the bus's field keys.",
        }
    ),
]
"""A string field kept secret: sealed in stored and sent payloads, masked in logs, reprs and admin."""

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

from collections.abc import Callable
from functools import cache
from typing import Annotated, Any, Protocol

from cryptography.fernet import InvalidToken, MultiFernet
from pydantic import (
    BaseModel,
    BeforeValidator,
    PlainSerializer,
    SecretStr,
    SerializationInfo,
    ValidationInfo,
    WithJsonSchema,
)

from eventbus.kernel import catalog

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


def masked(data: Any, fields: frozenset[str] = frozenset()) -> Any:
    """A stored payload as an operator may see it: every sealed value, and any value of a field named
    in ``fields`` (one stored in clear before the field was sealed), replaced by a mask."""
    if isinstance(data, dict):
        return {name: MASK if name in fields else masked(value, fields) for name, value in data.items()}
    if isinstance(data, list):
        return [masked(value, fields) for value in data]
    return MASK if is_sealed(data) else data


@cache
def sensitive_fields(model: type[BaseModel]) -> frozenset[str]:
    """The names of ``model``'s sensitive fields, and of those of the models nested in it."""
    schema = model.model_json_schema(mode="serialization")
    definitions = [schema, *schema.get("$defs", {}).values()]
    return frozenset(
        name
        for definition in definitions
        for name, field in definition.get("properties", {}).items()
        if field.get(SENSITIVE_MARK)
    )


def has_sensitive_fields(model: type[BaseModel]) -> bool:
    return bool(sensitive_fields(model))


def sensitive_fields_of(event_type: str) -> frozenset[str]:
    """The sensitive field names of every version of ``event_type`` this code knows."""
    classes = [cls for cls in catalog.event_classes() if cls.event_type == event_type]
    return frozenset().union(*(sensitive_fields(cls) for cls in classes))


def resealed(data: Any, fields: frozenset[str], reseal: Callable[[str], str]) -> Any:
    """``data`` with each sealed value, and each clear string of a field named in ``fields``, passed
    through ``reseal`` (``seal_again``)."""
    if isinstance(data, dict):
        return {
            name: reseal(value) if name in fields and isinstance(value, str) else resealed(value, fields, reseal)
            for name, value in data.items()
        }
    if isinstance(data, list):
        return [resealed(value, fields, reseal) for value in data]
    return reseal(data) if is_sealed(data) else data


def seal_again(value: str, cipher: MultiFernet, newest: FieldCipher) -> str:
    """``value`` sealed with the newest key: left alone if it is already, sealed if it was in clear."""
    if not is_sealed(value):
        return SEALED_PREFIX + cipher.encrypt(value.encode()).decode()
    token = value.removeprefix(SEALED_PREFIX).encode()
    try:
        newest.decrypt(token)
    except InvalidToken:
        return SEALED_PREFIX + cipher.rotate(token).decode()
    return value


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

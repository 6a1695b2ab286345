"""The REST API's error shapes: ``{"detail": ...}`` for a problem, field → messages for bad input."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import InterfaceError, OperationalError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

Problem = inline_serializer("Problem", {"detail": serializers.CharField()})
READ_ERRORS = {401: Problem, 403: Problem, 404: Problem, 503: Problem}
DATABASE_AWAY_RETRY_SECONDS = 2


def field_errors(description: str) -> OpenApiResponse:
    """A 400 whose body maps each bad field (or header, or filter) to its messages."""
    return OpenApiResponse(OpenApiTypes.OBJECT, description=description)


def signed_in(request: Request) -> User:
    """The request's user, for views that act for one; an anonymous caller is told to authenticate."""
    user = request.user
    if isinstance(user, AnonymousUser):
        raise NotAuthenticated()
    return user


def problem(code: int, detail: str) -> Response:
    return Response({"detail": detail}, status=code)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, and one more answer: the database out of reach is a 503 to retry, not a 500.

    The request's transaction did not commit (or its COMMIT's answer was lost): a client retries
    with the same Idempotency-Key, which tells the two apart.
    """
    if isinstance(exc, OperationalError | InterfaceError):
        logger.warning("database unreachable, answered 503: %s", type(exc).__name__)
        response = problem(503, "The shop cannot reach its database just now. Retry shortly (same Idempotency-Key).")
        response["Retry-After"] = str(DATABASE_AWAY_RETRY_SECONDS)
        return response
    return drf_exception_handler(exc, context)

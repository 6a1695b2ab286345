"""The REST API's errors: RFC 9457 problem details (``application/problem+json``), documented once here.

Every 4xx and 5xx answer is ``{"type", "title", "status", "detail"}``; a validation error adds
``errors``, each bad field (or header, or filter) mapped to its messages. ``type`` is
``about:blank`` when the status code says it all, else one of the ``urn:shop:problem:…`` below.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import csrf, defaults
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
VALIDATION = "urn:shop:problem:validation"
DATABASE_AWAY = "urn:shop:problem:database-unavailable"
DATABASE_AWAY_RETRY_SECONDS = 2


def problem_schema(name: str, **extensions: serializers.Field) -> Any:
    """A problem details object in the schema, with the extension members given."""
    members: dict[str, serializers.Field] = {
        "type": serializers.CharField(help_text="about:blank, or a urn:shop:problem:… naming the kind (docs/api.md)"),
        "title": serializers.CharField(help_text="The kind of problem, the same for every occurrence"),
        "status": serializers.IntegerField(),
        "detail": serializers.CharField(help_text="This occurrence, for people"),
    }
    return inline_serializer(name, {**members, **extensions})


Problem = problem_schema("Problem")
ValidationProblem = problem_schema(
    "ValidationProblem",
    errors=serializers.DictField(help_text="Messages by field, header or filter; nested as the body"),
)


def errors(*statuses: int) -> dict[tuple[int, str], Any]:
    """Schema entries for answers that are problem details, for ``extend_schema(responses=)``."""
    return {(code, PROBLEM_JSON): Problem for code in statuses}


def field_errors(description: str) -> dict[tuple[int, str], Any]:
    """The schema entry of a 400 naming each bad field (or header, or filter) in ``errors``."""
    return {(400, PROBLEM_JSON): OpenApiResponse(ValidationProblem, description=description)}


READ_ERRORS = errors(401, 403, 404, 503)


def signed_in(request: Request) -> User:
    """The request's user, for views that act for one; an anonymous caller is told to authenticate."""
    user = request.user
    if isinstance(user, AnonymousUser):
        raise NotAuthenticated()
    return user


def problem_body(code: int, detail: str, *, type: str = "about:blank", title: str = "", **extensions: Any) -> dict:
    return {"type": type, "title": title or HTTPStatus(code).phrase, "status": code, "detail": detail, **extensions}


def problem(code: int, detail: str, *, type: str = "about:blank", title: str = "", **extensions: Any) -> Response:
    body = problem_body(code, detail, type=type, title=title, **extensions)
    return Response(body, status=code, content_type=PROBLEM_JSON)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, its answers as problem details; and the database out of reach is a 503 to retry.

    The request's transaction did not commit (or its COMMIT's answer was lost): a client retries
    with the same Idempotency-Key, which tells the two apart.
    """
    if isinstance(exc, OperationalError | InterfaceError):
        logger.warning("database unreachable, answered 503: %s", type(exc).__name__)
        detail = "The shop cannot reach its database just now. Retry shortly (same Idempotency-Key)."
        unavailable = problem(503, detail, type=DATABASE_AWAY, title="Database unavailable")
        unavailable["Retry-After"] = str(DATABASE_AWAY_RETRY_SECONDS)
        return unavailable
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        messages = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        detail = f"Invalid input: {', '.join(messages)}."
        response.data = problem_body(400, detail, type=VALIDATION, title="Invalid input", errors=messages)
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        response.data = problem_body(response.status_code, str(detail or HTTPStatus(response.status_code).phrase))
    response.content_type = PROBLEM_JSON
    return response


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 (no route matched): a problem under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return _django_problem(404, "No endpoint at this path.")
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 (a body over the upload limit, a disallowed host, a suspicious request)."""
    if request.path.startswith("/api/"):
        return _django_problem(400, "The request cannot be read: too large, or malformed.")
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 403 (raised outside a DRF view)."""
    if request.path.startswith("/api/"):
        return _django_problem(403, "You do not have permission to perform this action.")
    return defaults.permission_denied(request, exception)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's CSRF refusal (CSRF_FAILURE_VIEW): a problem under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return _django_problem(403, f"CSRF verification failed: {reason}")
    return csrf.csrf_failure(request, reason)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 (an exception no handler answered): a problem under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return _django_problem(500, "The shop failed to answer this request; it has been logged.")
    return defaults.server_error(request)


def _django_problem(code: int, detail: str) -> JsonResponse:
    return JsonResponse(problem_body(code, detail), status=code, content_type=PROBLEM_JSON)

"""The REST API's error shapes: ``{"detail": ...}`` for a problem, field → messages for bad input."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

Problem = inline_serializer("Problem", {"detail": serializers.CharField()})
READ_ERRORS = {401: Problem, 403: Problem, 404: Problem}


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

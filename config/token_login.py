"""POST /api/auth/token/: a customer trades a username and password for their API token."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response

from common.throttling import ScopedRateThrottle

TokenAnswer = inline_serializer("TokenAnswer", {"token": serializers.CharField()})
Problem = inline_serializer("LoginProblem", {"detail": serializers.CharField()})


class TokenLogin(ObtainAuthToken):
    """DRF's token login, throttled per client address (the ``login`` rate) against password guessing."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        summary="Get your API token",
        responses={
            200: TokenAnswer,
            400: {"type": "object", "description": "Wrong credentials, by field"},
            429: Problem,
        },
        auth=[],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)

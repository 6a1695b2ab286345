"""POST /api/auth/token/: a customer trades a username and password for an API token; logout revokes it.

Tokens are django-rest-knox's: stored as digests, expiring after ``API_TOKEN_TTL_HOURS``, revoked
by ``POST /api/auth/token/logout/`` (this token) or ``/logoutall/`` (all of the caller's). Guessing
is locked out by django-axes, per account and per client, as on every other login door.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from knox import views as knox_views
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import errors, field_errors, problem
from common.throttling import ScopedRateThrottle
from common.token_auth import TokenAuthentication, delete_expired_tokens

TokenAnswer = inline_serializer(
    "TokenAnswer", {"token": serializers.CharField(), "expiry": serializers.DateTimeField()}
)

LOCKED_OUT = "urn:shop:problem:login-locked-out"


class Credentials(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class TokenLogin(APIView):
    """Throttled per client address (the ``login`` rate) and locked out by django-axes."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        summary="Get an API token",
        request=Credentials,
        responses={
            200: TokenAnswer,
            **field_errors("Wrong credentials, by field"),
            **errors(429),
        },
        auth=[],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        credentials = Credentials(data=request.data)
        credentials.is_valid(raise_exception=True)
        # The Django request, not DRF's: django-axes marks a lockout on it, for its middleware to answer.
        django_request = request._request
        user = authenticate(django_request, **credentials.validated_data)
        if getattr(django_request, "axes_locked_out", False):
            django_request.axes_locked_out = False  # type: ignore[attr-defined]  # answered here, as JSON
            locked = problem(
                status.HTTP_429_TOO_MANY_REQUESTS,
                "Too many failed logins: try again later.",
                type=LOCKED_OUT,
                title="Locked out after failed logins",
            )
            locked["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
            return locked
        if user is None:
            raise serializers.ValidationError({"non_field_errors": ["Unable to log in with these credentials."]})
        delete_expired_tokens(user.pk)
        instance, token = AuthToken.objects.create(user=user)
        user_logged_in.send(sender=type(user), request=django_request, user=user)  # axes clears the failures
        return Response({"token": token, "expiry": instance.expiry})


@extend_schema_view(post=extend_schema(summary="Revoke the API token sent", request=None, responses={204: None}))
class TokenLogout(knox_views.LogoutView):
    authentication_classes = [TokenAuthentication]


@extend_schema_view(
    post=extend_schema(summary="Revoke every API token of the caller", request=None, responses={204: None})
)
class TokenLogoutAll(knox_views.LogoutAllView):
    authentication_classes = [TokenAuthentication]

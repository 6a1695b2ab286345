"""API token authentication: django-rest-knox's, looking at the token presented and no other.

knox's own class also lists every other token of the user on every request, to delete the expired
ones: a query per request for housekeeping. Here a request judges only its own token (expired:
deleted and refused, as knox does), and the user's other expired tokens are deleted when they log
in again (``config/token_login.py``), the one moment their token list grows.

The schema's description of the two ways in, for Swagger UI's Authorize dialog, is here too.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox import auth
from knox.models import AuthToken
from knox.signals import token_expired


class TokenAuthentication(auth.TokenAuthentication):
    def _cleanup_token(self, auth_token: AuthToken) -> bool:
        """True when the token presented has expired, and is deleted."""
        if auth_token.expiry is None or auth_token.expiry >= timezone.now():
            return False
        username = auth_token.user.get_username()
        auth_token.delete()
        token_expired.send(sender=type(self), username=username, source="auth_token")
        return True


HOW_TO_AUTHORIZE = (
    "Paste **`Token <key>`**: the word `Token`, one space, then the key. The header is sent exactly as "
    "pasted, and a bare key is refused (401). A key: `POST /api/auth/token/` with your username and "
    "password, or the API token `manage.py seed_demo` prints for its demo customer."
)


class TokenScheme(KnoxTokenScheme):
    """The API schema describes this class as it describes knox's (``knoxApiToken``), saying how to paste it.

    OpenAPI 3.0 has no way to add a prefix other than ``Bearer`` to an API key, so the description
    (shown in Swagger UI's Authorize dialog) says to paste the ``Token `` prefix with the key.
    """

    target_class = "common.token_auth.TokenAuthentication"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {**super().get_security_definition(auto_schema), "description": HOW_TO_AUTHORIZE}


class SessionLoginScheme(SessionScheme):
    """The session scheme (``cookieAuth``), described beside the token's so the dialog says what each wants."""

    priority = 0

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            **super().get_security_definition(auto_schema),
            "description": "Nothing to paste: log in at `/api/auth/login/` (staff also at `/admin/login/`) "
            "in this browser, and Swagger UI sends the session cookie (and the CSRF token) itself.",
        }


def delete_expired_tokens(user_id: int) -> int:
    """Delete a user's expired tokens (knox would on every request; this runs at login)."""
    deleted, _ = AuthToken.objects.filter(user_id=user_id, expiry__lt=timezone.now()).delete()
    return deleted

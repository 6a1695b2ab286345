"""API token authentication: django-rest-knox's, looking at the token presented and no other.

knox's own class also lists every other token of the user on every request, to delete the expired
ones: a query per request for housekeeping. Here a request judges only its own token (expired:
deleted and refused, as knox does), and the user's other expired tokens are deleted when they log
in again (``config/token_login.py``), the one moment their token list grows.
"""

from __future__ import annotations

from django.utils import timezone
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


class TokenScheme(KnoxTokenScheme):
    """The API schema describes this class as it describes knox's (``knoxApiToken``)."""

    target_class = "common.token_auth.TokenAuthentication"


def delete_expired_tokens(user_id: int) -> int:
    """Delete a user's expired tokens (knox would on every request; this runs at login)."""
    deleted, _ = AuthToken.objects.filter(user_id=user_id, expiry__lt=timezone.now()).delete()
    return deleted

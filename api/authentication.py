"""Who is calling /api/v1: a personal API key (``Authorization: Bearer rst_api_…``) or the
admin's own session.

``ApiKeyAuthentication`` answers 401 (with ``WWW-Authenticate: Bearer``) for a key that is
unknown, expired or revoked, or whose user was deactivated; a request without an
``Authorization`` header falls through to DRF's ``SessionAuthentication`` (which checks CSRF on
unsafe methods), and one with neither is 401 too. The key's user becomes ``request.user`` and the
key ``request.auth``: what they may do is decided by ``api.permissions``, exactly as the admin
decides it, narrowed to the key's organization.
"""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from api import services
from api.models import ApiKey
from config.request_context import set_request_context

CHALLENGE = 'Bearer realm="Roster API"'


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Any) -> tuple[Any, ApiKey] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None  # perhaps the admin's session
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise AuthenticationFailed("Send the API key as 'Authorization: Bearer <key>'.")
        key = services.api_key_authenticate(credentials.strip())
        if key is None:
            raise AuthenticationFailed("The API key is invalid, expired or revoked.")
        set_request_context(org=key.organization, token_prefix=key.prefix)  # log lines
        return key.user, key

    def authenticate_header(self, request: Any) -> str:
        return CHALLENGE


def request_api_key(request: Any) -> ApiKey | None:
    """The key that authenticated this request; None for a session."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiKey) else None

"""Ties a session made by SAML single sign-on to the organizations that signed it in.

The ACS records, in the session, the organizations whose identity provider vouched for this
person (``SSO_SCOPE_KEY``). On every request this middleware hands that scope to
``orgs.permissions`` (as ``request.user._roster_sso_scope``), so Globex's IdP — which Globex's
admin controls — cannot open Acme for a person who is a member of both. Sessions made by a
password login carry no scope and are unaffected.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

SSO_SCOPE_KEY = "sso_scope"


class SsoSessionScopeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        # A request without a session cookie (the SCIM API) costs no lookup here.
        scope = session.get(SSO_SCOPE_KEY) if session is not None and session.session_key else None
        if scope is not None and request.user.is_authenticated:
            request.user._roster_sso_scope = frozenset(scope)
        return self.get_response(request)


def sso_scope(request: HttpRequest) -> frozenset[str] | None:
    """The organizations (ids as strings) this session's SSO logins speak for; None for a
    session not made by SAML."""
    scope = request.session.get(SSO_SCOPE_KEY)
    return frozenset(scope) if scope is not None else None

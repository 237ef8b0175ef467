"""Who may call /scim/v2: DRF authentication and permission classes.

``ScimTokenAuthentication``: the bearer token decides the organization. 401 (with
``WWW-Authenticate: Bearer``) when the token is missing, unknown, expired or revoked. The lookup
is by SHA-256 digest and the decisive comparison is constant-time (``scim_token_authenticate``).
The permissions then answer 403 when the organization's plan lacks SCIM or SCIM is turned off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from config.request_context import set_request_context
from orgs.audit import Actor
from orgs.models import Organization
from orgs.plans import Feature
from scim.errors import ScimError
from scim.models import ScimToken
from scim.services import scim_token_authenticate

CHALLENGE = 'Bearer realm="Roster SCIM"'


@dataclass(frozen=True)
class ScimContext:
    """Who is calling: the token, its organization and the audit actor (``request.auth``)."""

    token: ScimToken
    organization: Organization
    actor: Actor


class ScimTokenAuthentication(BaseAuthentication):
    """Every SCIM request carries a bearer token; there is no anonymous SCIM."""

    def authenticate(self, request: Any) -> tuple[AnonymousUser, ScimContext]:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise ScimError(401, "A bearer token is required.",
                            headers={"WWW-Authenticate": CHALLENGE})
        token = scim_token_authenticate(credentials.strip())
        if token is None:
            raise ScimError(401, "The bearer token is invalid, expired or revoked.",
                            headers={"WWW-Authenticate": CHALLENGE + ', error="invalid_token"'})
        set_request_context(org=token.organization, token_prefix=token.prefix)  # log lines
        # The IdP is not a user: request.user stays anonymous, request.auth is the context.
        return AnonymousUser(), ScimContext(
            token=token, organization=token.organization,
            actor=Actor.for_scim_token(token, request),
        )

    def authenticate_header(self, request: Any) -> str:
        return CHALLENGE


class PlanIncludesScim(BasePermission):
    message = "SCIM provisioning is not included in this organization's plan."

    def has_permission(self, request: Any, view: Any) -> bool:
        return request.auth.organization.has_feature(Feature.SCIM)


class ScimTurnedOn(BasePermission):
    message = "SCIM provisioning is turned off for this organization."

    def has_permission(self, request: Any, view: Any) -> bool:
        return request.auth.organization.scim_enabled

"""Bearer authentication for /scim/v2/: the token decides the organization.

401 (with ``WWW-Authenticate: Bearer``) when the token is missing, unknown, expired or revoked;
403 when the organization has SCIM turned off or its plan lacks SCIM. The lookup is by SHA-256
digest and the decisive comparison is constant-time (``scim_token_authenticate``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from orgs.audit import Actor
from orgs.models import Organization
from orgs.plans import Feature
from scim.errors import ScimError
from scim.models import ScimToken
from scim.services import scim_token_authenticate

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="Roster SCIM"'}


@dataclass(frozen=True)
class ScimContext:
    """Who is calling: the token, its organization and the audit actor."""

    token: ScimToken
    organization: Organization
    actor: Actor


def authenticate(request: HttpRequest) -> ScimContext:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise ScimError(401, "A bearer token is required.", headers=_CHALLENGE)
    token = scim_token_authenticate(credentials.strip())
    if token is None:
        raise ScimError(
            401, "The bearer token is invalid, expired or revoked.",
            headers={**_CHALLENGE, "WWW-Authenticate": _CHALLENGE["WWW-Authenticate"]
                     + ', error="invalid_token"'},
        )
    org = token.organization
    if not org.has_feature(Feature.SCIM):
        raise ScimError(403, "SCIM provisioning is not included in this organization's plan.")
    if not org.scim_enabled:
        raise ScimError(403, "SCIM provisioning is turned off for this organization.")
    return ScimContext(token=token, organization=org, actor=Actor.for_scim_token(token, request))

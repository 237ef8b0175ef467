"""Reads of SAML connections."""

from __future__ import annotations

from orgs.models import Organization
from sso.models import SamlConnection


def saml_connection_for(*, organization: Organization) -> SamlConnection | None:
    return SamlConnection.objects.filter(organization=organization).first()


def saml_connection_is_active(*, organization: Organization) -> bool:
    return SamlConnection.objects.filter(organization=organization, is_active=True).exists()


def sso_enforcement_ready(connection: SamlConnection) -> bool:
    """True when a SAML login has succeeded since the IdP settings were last saved."""
    return bool(
        connection.is_active
        and connection.configured_at
        and connection.last_login_at
        and connection.last_login_at >= connection.configured_at
    )


def organizations_enforcing_sso_for(*, user: object) -> list[Organization]:
    """Organizations enforcing SAML SSO in which this user holds an active membership."""
    return list(
        Organization.objects.filter(
            sso_enforced=True, memberships__user=user, memberships__is_active=True
        ).distinct()
    )

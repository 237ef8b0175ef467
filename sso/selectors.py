"""Reads of SAML connections."""

from __future__ import annotations

from orgs.models import Organization
from sso.models import SamlConnection


def saml_connection_for(*, organization: Organization) -> SamlConnection | None:
    return SamlConnection.objects.filter(organization=organization).first()


def saml_connection_is_active(*, organization: Organization) -> bool:
    return SamlConnection.objects.filter(organization=organization, is_active=True).exists()

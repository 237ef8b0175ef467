"""Reads of SAML connections."""

from __future__ import annotations

from orgs.models import Membership, Organization
from orgs.plans import Feature
from sso.models import SamlConnection


def saml_connection_for(*, organization: Organization) -> SamlConnection | None:
    return SamlConnection.objects.filter(organization=organization).first()


def saml_connection_usable(*, organization: Organization) -> SamlConnection | None:
    """The organization's connection if members may sign in with it now (active, and the
    plan has SAML SSO), with ``organization`` set on it; else None."""
    conn = saml_connection_for(organization=organization)
    if conn is None or not conn.is_active or not organization.has_feature(Feature.SAML_SSO):
        return None
    conn.organization = organization
    return conn


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


def account_home_organization(*, user: object) -> Organization | None:
    """The organization that had this person first (the membership linked to their account
    first: an IdP's invitation counts only once the person signed in through it).

    Accounts are global and every organization's admin controls their own IdP, so only the
    home organization's IdP may vouch for the person's first key setup: an organization that
    linked an existing account later must not be able to choose the
    passphrase of someone another organization already had.
    """
    first = (
        Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("linked_at", "created_at", "id")
        .first()
    )
    return first.organization if first is not None else None


def account_setup_blocker(*, user: object, scope: frozenset[str] | None) -> Organization | None:
    """The organization whose SSO must sign this person in before a SAML-scoped session may
    set up their keys, or None when setup may go ahead (password session, or home in scope)."""
    if scope is None:
        return None
    home = account_home_organization(user=user)
    if home is None or str(home.pk) in scope:
        return None
    return home

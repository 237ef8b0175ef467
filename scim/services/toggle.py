"""Turning SCIM provisioning on and off for an organization, and when it may be on."""

from __future__ import annotations

import logging

from django.db import transaction

from orgs.audit import Actor, audit_record
from orgs.exceptions import DomainError, FeatureNotAvailable, PreconditionFailed
from orgs.models import Organization
from orgs.plans import Feature
from orgs.services.updates import model_update
from sso.selectors import saml_connection_is_active

logger = logging.getLogger(__name__)


def organization_scim_enable_blocker(*, organization: Organization) -> DomainError | None:
    """Why SCIM provisioning cannot be turned on now, as the error enabling would raise; None
    when it can. The SSO page shows it before the admin tries; the service raises it."""
    if not organization.has_feature(Feature.SCIM):
        return FeatureNotAvailable(
            f"SCIM provisioning is an Enterprise feature; {organization.name} is on the "
            f"{organization.get_plan_display()} plan."
        )
    if not saml_connection_is_active(organization=organization):
        return PreconditionFailed(
            "Configure and activate SAML SSO first: SCIM provisioning needs an active SAML "
            "connection, since provisioned members sign in through your identity provider."
        )
    return None


@transaction.atomic
def organization_set_scim_enabled(
    *, organization: Organization, enabled: bool, actor: Actor
) -> Organization:
    """Turn SCIM provisioning on or off. Tokens and provisioned data are left untouched."""
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    if enabled:
        blocker = organization_scim_enable_blocker(organization=org)
        if blocker is not None:
            raise blocker
    if model_update(org, {"scim_enabled": enabled}):
        audit_record(
            organization=org, actor=actor,
            action="org.scim.enabled" if enabled else "org.scim.disabled", target=org,
        )
    organization.scim_enabled = enabled
    return org

"""What an IdP says about a member beyond the domain's columns (``scim.ScimUserProfile``)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from orgs.audit import Actor, audit_record
from orgs.models import Membership
from scim.models import ScimUserProfile

logger = logging.getLogger(__name__)


@transaction.atomic
def scim_profile_update(
    *,
    membership: Membership,
    actor: Actor,
    display_name: str | None = None,
    attributes: dict[str, Any] | None = None,
) -> ScimUserProfile:
    """Store what the IdP says about a member beyond the domain fields (displayName,
    name.formatted, its emails list, title, phoneNumbers, addresses and the other profile
    attributes, the enterprise extension). ``None`` leaves a part as is;
    only a real change is written and audited."""
    profile, _ = ScimUserProfile.objects.select_for_update().get_or_create(
        membership_id=membership.pk
    )
    changes: dict[str, list[Any]] = {}
    if display_name is not None and display_name != profile.display_name:
        changes["displayName"] = [profile.display_name, display_name]
        profile.display_name = display_name
    if attributes is not None and attributes != profile.attributes:
        changes["attributes"] = [profile.attributes, attributes]
        profile.attributes = attributes
    if changes:
        profile.save()
        # meta.lastModified is the member's updated_at (filters compare it through an index).
        Membership.objects.filter(pk=membership.pk).update(updated_at=profile.updated_at)
        audit_record(
            organization=membership.organization, actor=actor,
            action="scim.user.profile_updated", target=membership, data={"changes": changes},
        )
    return profile

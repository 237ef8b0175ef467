"""What an IdP says about a member beyond the domain's columns (``scim.ScimUserProfile``)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from orgs.audit import Actor, audit_record
from orgs.models import Membership
from orgs.services.updates import model_update
from scim.models import ScimUserProfile

logger = logging.getLogger(__name__)
_AUDIT_NAMES = {"display_name": "displayName"}  # the audit log names SCIM attributes


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
    data: dict[str, Any] = {}
    if display_name is not None:
        data["display_name"] = display_name
    if attributes is not None:
        data["attributes"] = attributes
    changes = model_update(profile, data)
    if changes:
        changes = {_AUDIT_NAMES.get(k, k): v for k, v in changes.items()}
        # meta.lastModified is the member's updated_at (filters compare it through an index).
        Membership.objects.filter(pk=membership.pk).update(updated_at=profile.updated_at)
        audit_record(
            organization=membership.organization, actor=actor,
            action="scim.user.profile_updated", target=membership, data={"changes": changes},
        )
    return profile

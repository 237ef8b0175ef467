"""What an IdP says about a member beyond the domain's columns (``scim.ScimUserProfile``).

``scim_profile_write`` holds the write (the profile row and its ``ScimUserEmail`` keys) for
the provisioning services, which lock the member, own the transaction and record one audit
event for the whole request; ``scim_profile_update`` is the same as a service of its own.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from orgs.audit import Actor, audit_record
from orgs.models import Membership
from orgs.services.updates import model_update
from orgs.text import fold
from scim.models import ScimUserEmail, ScimUserProfile

logger = logging.getLogger(__name__)
AUDIT_NAMES = {"display_name": "displayName"}  # the audit log names SCIM attributes


def email_keys(attributes: dict[str, Any]) -> set[str]:
    """The folded addresses of a profile's ``emails`` list (none when it keeps no list: the
    member is then known by its own email, ``Membership.email_key``)."""
    emails = attributes.get("emails")
    if not isinstance(emails, list):
        return set()
    return {fold(e["value"]) for e in emails
            if isinstance(e, dict) and isinstance(e.get("value"), str) and e["value"]}


def scim_profile_write(
    *,
    membership: Membership,
    profile: ScimUserProfile | None,
    display_name: str | None = None,
    attributes: dict[str, Any] | None = None,
) -> dict[str, list[Any]]:
    """Write a member's SCIM profile inside the caller's transaction, under its lock of the
    member: ``profile`` is the member's current one (None: it has none yet). ``None`` leaves a
    part as is. Only a real change is written; returns it as ``{attribute: [before, after]}``.
    The member's ``updated_at`` (its meta.lastModified) is the caller's to stamp."""
    data: dict[str, Any] = {}
    if display_name is not None:
        data["display_name"] = display_name
    if attributes is not None:
        data["attributes"] = attributes
    if profile is None:
        blank = ScimUserProfile(membership=membership)
        changes = {k: [getattr(blank, k), v] for k, v in data.items() if v != getattr(blank, k)}
        if changes:
            profile = blank
            for name, value in data.items():
                setattr(profile, name, value)
            profile.save(force_insert=True)
        before: dict[str, Any] = {}
    else:
        before = dict(profile.attributes)
        changes = model_update(profile, data)
    # Rendering reads membership.scim_profile: keep what is now true, as select_related
    # would, so answering costs no query.
    Membership.scim_profile.related.set_cached_value(membership, profile)
    if profile is not None and "attributes" in changes:
        _write_email_keys(membership, email_keys(before), email_keys(profile.attributes))
    return {AUDIT_NAMES.get(k, k): v for k, v in changes.items()}


def _write_email_keys(membership: Membership, old: set[str], new: set[str]) -> None:
    if old - new:
        ScimUserEmail.objects.filter(membership=membership, value_key__in=old - new).delete()
    if new - old:
        ScimUserEmail.objects.bulk_create(
            [ScimUserEmail(membership=membership, value_key=k) for k in sorted(new - old)]
        )


@transaction.atomic
def scim_profile_update(
    *,
    membership: Membership,
    actor: Actor,
    display_name: str | None = None,
    attributes: dict[str, Any] | None = None,
) -> ScimUserProfile | None:
    """Store what the IdP says about a member beyond the domain fields (displayName,
    name.formatted, its emails list, title, phoneNumbers, addresses and the other profile
    attributes, the enterprise extension). ``None`` leaves a part as is;
    only a real change is written and audited. Returns the profile (None: still empty)."""
    Membership.objects.select_for_update(of=("self",)).filter(pk=membership.pk).exists()
    profile = ScimUserProfile.objects.filter(membership_id=membership.pk).first()
    changes = scim_profile_write(membership=membership, profile=profile,
                                 display_name=display_name, attributes=attributes)
    if changes:
        # meta.lastModified is the member's updated_at (filters compare it through an index).
        Membership.objects.filter(pk=membership.pk).update(updated_at=timezone.now())
        audit_record(
            organization=membership.organization, actor=actor,
            action="scim.user.profile_updated", target=membership, data={"changes": changes},
        )
    return Membership.scim_profile.related.get_cached_value(membership)

"""Members: a person in an organization, as that organization knows them."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from orgs.audit import Actor, audit_record
from orgs.exceptions import (
    AlreadyExists,
    PreconditionFailed,
)
from orgs.models import (
    Membership,
    MembershipSource,
    MembershipStatus,
    Organization,
    Role,
    User,
)
from orgs.services.checks import (
    check_idp_keys,
    check_role,
    clean_email,
    clean_external_id,
    clean_name,
    clean_user_name,
    guard_idp_owned,
    guard_last_admin,
    lock_membership,
)
from orgs.services.invitations import invitation_enqueue
from orgs.services.updates import model_update
from orgs.services.users import user_get_or_create
from orgs.text import fold

logger = logging.getLogger(__name__)


def account_claimable(account: User, organization: Organization) -> bool:
    """Whether ``organization`` may link ``account`` on its own word (an admin's add, or its
    IdP's sign-in): only while no other organization uses the account. Otherwise the person
    must prove they hold it first (``sso.services``): an organization must never take over
    an account that another organization verified."""
    return not account.memberships.exclude(organization=organization).exists()


def membership_insert(
    *,
    organization: Organization,
    email: str,
    first_name: str = "",
    last_name: str = "",
    role: str | None = None,
    source: str = MembershipSource.MANUAL,
    status: str = MembershipStatus.INVITED,
    scim_user_name: str = "",
    external_id: str = "",
    is_active: bool = True,
    send_invitation: bool = True,
    link_account: bool = True,
) -> Membership:
    """``membership_add`` without its transaction and its audit event: for a service that owns
    the transaction (any error here must abort it) and records one event for the whole change
    (``scim.services.provisioning``). The rules are all here; see ``membership_add``."""
    role = check_role(role or organization.default_role)
    email = clean_email(email)
    first_name = clean_name(first_name, "first name")
    last_name = clean_name(last_name, "last name")
    scim_user_name = clean_user_name(scim_user_name)
    external_id = clean_external_id(external_id)
    check_idp_keys(organization, user_name=scim_user_name, external_id=external_id)
    user = None
    if source != MembershipSource.SCIM and Membership.objects.filter(
        organization=organization, email_key=fold(email)
    ).exists():
        raise AlreadyExists(f"{email} is already a member of {organization.name}.")
    if link_account and source != MembershipSource.SCIM:
        account = user_get_or_create(email=email, first_name=first_name, last_name=last_name)
        if account_claimable(account, organization):
            user = account
        if user is not None and Membership.objects.filter(
            organization=organization, user=user
        ).exists():
            raise AlreadyExists(f"{email} is already a member of {organization.name}.")
    membership = Membership(
        organization=organization, user=user, email=email, given_name=first_name,
        family_name=last_name, role=role, status=status, source=source,
        scim_user_name=scim_user_name, external_id=external_id, is_active=is_active,
        linked_at=timezone.now() if user is not None else None,
    )
    try:
        # No savepoint of its own: the error aborts the caller's transaction (or the
        # savepoint of membership_add's atomic), which is what a clash must do.
        membership.save(force_insert=True)
    except IntegrityError as exc:  # a concurrent create won the race
        raise AlreadyExists(
            f"{scim_user_name or email} is already a member of {organization.name}."
        ) from exc
    if send_invitation and status == MembershipStatus.INVITED:
        # Sent by a background job (orgs/services/invitations.py) whose row is queued in this
        # transaction: it commits with the membership or not at all, and costs no commit of
        # its own.
        invitation_enqueue(membership_id=membership.pk)
    return membership


def membership_added_data(membership: Membership) -> dict[str, Any]:
    """What the audit event of an add says about the new member."""
    return {"email": membership.email, "role": membership.role, "source": membership.source,
            "status": membership.status, "linked": membership.user_id is not None}


@transaction.atomic
def membership_add(
    *,
    organization: Organization,
    email: str,
    actor: Actor,
    first_name: str = "",
    last_name: str = "",
    role: str | None = None,
    source: str = MembershipSource.MANUAL,
    status: str = MembershipStatus.INVITED,
    scim_user_name: str = "",
    external_id: str = "",
    is_active: bool = True,
    send_invitation: bool = True,
    link_account: bool = True,
    action: str = "membership.added",
) -> Membership:
    """Add a person to an organization.

    The email and names are the organization's own. ``link_account`` links the account with
    that email (created when new) if the organization may claim it (``account_claimable``);
    otherwise, and always for IdP provisioning (``source=SCIM``), the member is an
    invitation that the person's first verified sign-in links. Members are unique by the IdP's
    userName and externalId; people added by hand also by email.
    """
    membership = membership_insert(
        organization=organization, email=email, first_name=first_name, last_name=last_name,
        role=role, source=source, status=status, scim_user_name=scim_user_name,
        external_id=external_id, is_active=is_active, send_invitation=send_invitation,
        link_account=link_account,
    )
    audit_record(organization=organization, actor=actor, action=action, target=membership,
                 data=membership_added_data(membership))
    return membership


@transaction.atomic
def membership_link_account(*, membership: Membership, user: User, actor: Actor) -> Membership:
    """Tie a member to the account the person proved they hold (``sso.services`` decides)."""
    m = lock_membership(membership)
    if m.user_id == user.pk:
        return m
    if m.user_id is not None:
        raise PreconditionFailed("This member is already linked to another account.")
    if Membership.objects.filter(organization_id=m.organization_id, user=user).exists():
        raise AlreadyExists(
            f"This account is already linked to another member of {m.organization.name}."
        )
    m.user = user
    m.linked_at = timezone.now()
    m.save(update_fields=["user", "linked_at", "updated_at"])
    audit_record(
        organization=m.organization, actor=actor, action="membership.account_linked", target=m,
        data={"account": user.email},
    )
    return m


def membership_apply(
    membership: Membership,
    *,
    email: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    scim_user_name: str | None = None,
    external_id: str | None = None,
    is_active: bool | None = None,
    touch: bool = False,
) -> dict[str, list[Any]]:
    """Write what changed of a member the caller has locked (``lock_membership``), in one
    UPDATE, and return it as ``{field: [before, after]}``. ``None`` leaves a field as it is.
    The rules of ``membership_update_profile`` apply; there is no transaction, lock or audit
    event here, for a caller that records one event for its whole change. ``touch`` stamps
    ``updated_at`` even when no field changed (the member's SCIM profile did)."""
    m = membership
    new: dict[str, Any] = {}
    if email is not None:
        new["email"] = clean_email(email)
    if first_name is not None:
        new["given_name"] = clean_name(first_name, "first name")
    if last_name is not None:
        new["family_name"] = clean_name(last_name, "last name")
    if scim_user_name is not None:
        new["scim_user_name"] = clean_user_name(scim_user_name)
    if external_id is not None:
        new["external_id"] = clean_external_id(external_id)
    if is_active is not None:
        new["is_active"] = is_active
    moved = {k: v for k, v in new.items() if getattr(m, k) != v}
    check_idp_keys(m.organization, exclude_pk=m.pk, user_name=moved.get("scim_user_name", ""),
                   external_id=moved.get("external_id", ""))
    try:
        return model_update(m, new, touch=touch)
    except IntegrityError as exc:  # a concurrent change took the same userName/externalId
        raise AlreadyExists("userName or externalId is already used in this org.") from exc


@transaction.atomic
def membership_update_profile(
    *,
    membership: Membership,
    actor: Actor,
    email: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    scim_user_name: str | None = None,
    external_id: str | None = None,
    action: str = "membership.updated",
) -> Membership:
    """Update what the organization knows of a member. Only changed fields are written and
    logged. The linked account is never touched (it may belong to other organizations), and
    a changed email or userName never moves the membership to another account."""
    m = lock_membership(membership)
    asked = {"email": email, "given_name": first_name, "family_name": last_name,
             "scim_user_name": scim_user_name, "external_id": external_id}
    if any(v is not None and v != getattr(m, f) for f, v in asked.items()):
        guard_idp_owned(m, actor, what=f"the profile of {m.email} (userName, names, emails)",
                        where="Change them in Okta.")
    changes = membership_apply(m, email=email, first_name=first_name, last_name=last_name,
                               scim_user_name=scim_user_name, external_id=external_id)
    if changes:
        audit_record(organization=m.organization, actor=actor, action=action, target=m,
                     data={"changes": changes})
    return m


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, actor: Actor) -> Membership:
    role = check_role(role)
    m = lock_membership(membership)
    if m.role == role:
        return m
    if role != Role.ADMIN:
        guard_last_admin(m, doing="demote")
    old = m.role
    m.role = role
    m.save(update_fields=["role", "updated_at"])
    audit_record(
        organization=m.organization, actor=actor, action="membership.role_changed", target=m,
        data={"from": old, "to": role},
    )
    return m


@transaction.atomic
def membership_deactivate(
    *, membership: Membership, actor: Actor, action: str = "membership.deactivated"
) -> Membership:
    """Deprovision: access stops, the membership, its role and its groups are kept.

    Deactivation is not refused for the last admin: when the IdP says a person left, access
    must stop. Removal and demotion are the changes that are refused.
    """
    m = lock_membership(membership)
    if not m.is_active:
        return m
    guard_idp_owned(m, actor, what=f"whether {m.email} is active (SCIM's active)",
                    where="Deactivate them in Okta (unassign the Roster app); access then stops "
                          "at once.")
    if membership_apply(m, is_active=False):
        audit_record(organization=m.organization, actor=actor, action=action, target=m)
    return m


@transaction.atomic
def membership_reactivate(
    *, membership: Membership, actor: Actor, action: str = "membership.reactivated"
) -> Membership:
    m = lock_membership(membership)
    if m.is_active:
        return m
    guard_idp_owned(m, actor, what=f"whether {m.email} is active (SCIM's active)",
                    where="Reactivate them in Okta (assign the Roster app again).")
    if membership_apply(m, is_active=True):
        audit_record(organization=m.organization, actor=actor, action=action, target=m)
    return m


@transaction.atomic
def membership_accept(*, membership: Membership, actor: Actor) -> Membership:
    """Mark an invited membership accepted (the member finished account setup)."""
    m = lock_membership(membership)
    if m.status == MembershipStatus.ACCEPTED:
        return m
    m.status = MembershipStatus.ACCEPTED
    m.save(update_fields=["status", "updated_at"])
    audit_record(organization=m.organization, actor=actor, action="membership.accepted", target=m)
    return m


@transaction.atomic
def membership_remove(
    *, membership: Membership, actor: Actor, action: str = "membership.removed"
) -> None:
    """Remove a member and their group memberships; the global user is kept."""
    m = lock_membership(membership)
    guard_last_admin(m, doing="remove")
    audit_record(
        organization=m.organization, actor=actor, action=action, target=m,
        data={"email": m.email},
    )
    m.delete()

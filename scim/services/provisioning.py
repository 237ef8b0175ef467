"""What an IdP's push does to members and groups: one service per SCIM write.

Each service owns its transaction and row locks, chooses its audit action names and calls the
``orgs`` services (and ``scim_profile_update`` for what the domain has no column for), so the
rule "what an IdP push does" lives here and nowhere else. The SCIM adapters only translate the
wire format to the arguments below and back; they never write or audit.

A member is described to these services as an ``IdpUser``: the domain's view of a SCIM User.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models import QuerySet

from config.prepared_queries import prepared
from orgs import services as orgs_services
from orgs.audit import Actor, audit_record
from orgs.exceptions import NotFound
from orgs.models import Group, GroupSource, Membership, MembershipSource, Organization
from scim.models import ScimUserProfile
from scim.services.profiles import scim_profile_write


@dataclass(frozen=True)
class IdpUser:
    """What an IdP says about one member. ``email`` is the address the organization knows the
    member by; ``profile`` holds, under their SCIM names, the attributes the domain has no
    column for (``name.formatted``, an ``emails`` list that says more than ``email``, ``title``,
    ``phoneNumbers``, the enterprise extension …), kept in ``scim.ScimUserProfile``."""

    user_name: str
    email: str
    external_id: str = ""
    given_name: str = ""
    family_name: str = ""
    display_name: str = ""
    active: bool = True
    profile: Mapping[str, Any] = field(default_factory=dict)

    def but(self, **changes: Any) -> IdpUser:
        return replace(self, **changes)


def idp_user_of(membership: Membership) -> IdpUser:
    """The member as the IdP last described them (``scim_profile`` joined by the caller)."""
    try:
        profile = membership.scim_profile
    except ObjectDoesNotExist:
        profile = None
    return IdpUser(
        user_name=membership.scim_user_name or membership.email,
        email=membership.email,
        external_id=membership.external_id,
        given_name=membership.given_name,
        family_name=membership.family_name,
        display_name=profile.display_name if profile else "",
        active=membership.is_active,
        profile=dict(profile.attributes) if profile else {},
    )


# --- Users ---------------------------------------------------------------------------------


def _profile_of(user: IdpUser) -> dict[str, Any]:
    """The SCIM profile part of a member, as the audit log names it."""
    return {k: v for k, v in (("displayName", user.display_name), *user.profile.items()) if v}


@transaction.atomic
def scim_user_create(
    *, organization: Organization, user: IdpUser, actor: Actor, group_names: Iterable[str] = ()
) -> Membership:
    """Provision a member: an invitation (no account until their first verified sign-in) with
    the role mapped to the groups the create names, else the organization's default. An
    active member is sent an invitation. One audit event, ``scim.user.created``, with the
    profile the IdP sent."""
    role = orgs_services.role_for_new_member(organization=organization, group_names=group_names)
    membership = orgs_services.membership_insert(
        organization=organization, email=user.email, first_name=user.given_name,
        last_name=user.family_name, role=role, source=MembershipSource.SCIM,
        scim_user_name=user.user_name, external_id=user.external_id, is_active=user.active,
        send_invitation=user.active,
    )
    scim_profile_write(membership=membership, profile=None, display_name=user.display_name,
                       attributes=dict(user.profile))
    data = orgs_services.membership_added_data(membership) | {"userName": user.user_name}
    if user.external_id:
        data["externalId"] = user.external_id
    if profile := _profile_of(user):
        data["profile"] = profile
    audit_record(organization=organization, actor=actor, action="scim.user.created",
                 target=membership, data=data)
    return membership


_MEMBER_KEY = (uuid.UUID, uuid.UUID)  # the member's id, its organization's


def _members(pk: uuid.UUID, organization_id: uuid.UUID) -> QuerySet[Membership]:
    return Membership.objects.filter(pk=pk, organization_id=organization_id).order_by()


def _lock_member(pk: uuid.UUID, organization_id: uuid.UUID) -> QuerySet:
    return _members(pk, organization_id).select_for_update().values_list("pk", flat=True)


def _read_member(pk: uuid.UUID, organization_id: uuid.UUID) -> QuerySet[Membership]:
    return _members(pk, organization_id).select_related("organization", "scim_profile")[:1]


@transaction.atomic
def scim_user_update(
    *, membership: Membership, change: Callable[[IdpUser], IdpUser], actor: Actor
) -> Membership:
    """Apply an IdP's PUT or PATCH. ``change`` turns the member as stored into the member as
    the IdP now describes them; it runs under the member's row lock, on a fresh read, so two
    concurrent changes of one member never lose each other's part. A changed userName or email
    never moves the membership to another account; ``active`` deactivates or reactivates.

    One UPDATE of the member (its own fields, its state and its last-modified time together),
    one of its SCIM profile when that changed, and one audit event for the request:
    ``scim.user.deactivated`` or ``scim.user.reactivated`` when ``active`` changed, else
    ``scim.user.updated``, with every change in ``changes``."""
    # Lock first, then read in a statement of its own: PostgreSQL re-reads only the locked row
    # after a wait, so a profile joined into the locking query could be a stale one. Both
    # statements are prepared (config.prepared_queries): every PUT and PATCH runs them.
    key = [membership.pk, membership.organization_id]
    if not prepared(("scim_user_update", "lock"), _lock_member, key, _MEMBER_KEY):
        raise NotFound(f"User {membership.pk} not found.")  # deleted by a concurrent request
    m = prepared(("scim_user_update", "read"), _read_member, key, _MEMBER_KEY)[0]
    old = idp_user_of(m)
    new = change(old)
    own = {
        "scim_user_name": (old.user_name, new.user_name),
        "external_id": (old.external_id, new.external_id),
        "email": (old.email, new.email),
        "first_name": (old.given_name, new.given_name),
        "last_name": (old.family_name, new.family_name),
    }
    changed = {name: after for name, (before, after) in own.items() if before != after}
    profile_changed = (old.display_name, dict(old.profile)) != (new.display_name,
                                                                 dict(new.profile))
    changes = orgs_services.membership_apply(m, **changed, is_active=new.active,
                                             touch=profile_changed)
    if profile_changed:
        changes |= scim_profile_write(
            membership=m, profile=_cached_profile(m), display_name=new.display_name,
            attributes=dict(new.profile),
        )
    if changes:
        action = "scim.user.updated"
        if "is_active" in changes:
            action = "scim.user.reactivated" if new.active else "scim.user.deactivated"
            del changes["is_active"]
        audit_record(organization=m.organization, actor=actor, action=action, target=m,
                     data={"changes": changes} if changes else {})
    return m


def _cached_profile(membership: Membership) -> ScimUserProfile | None:
    """The profile the locked read joined (None when the member has none yet)."""
    try:
        return membership.scim_profile
    except ObjectDoesNotExist:
        return None


def scim_user_delete(*, membership: Membership, actor: Actor) -> None:
    """The IdP deleted the person: the membership and its group seats go (the organization's
    last active admin is refused); the account, if any, stays."""
    orgs_services.membership_remove(membership=membership, actor=actor, action="scim.user.deleted")


# --- Groups --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberChange:
    """A push's member change, folded from its operations: ``replace`` (the whole list), or
    ids to ``add`` and ``remove``."""

    replace: frozenset[Any] | None = None
    add: frozenset[Any] = frozenset()
    remove: frozenset[Any] = frozenset()

    @property
    def empty(self) -> bool:
        return self.replace is None and not self.add and not self.remove


@transaction.atomic
def scim_group_create(
    *, organization: Organization, display_name: str, actor: Actor, external_id: str = "",
    member_ids: Iterable[Any] = (),
) -> Group:
    """One audit event, ``scim.group.created``, naming the members the create added."""
    group = orgs_services.group_insert(
        organization=organization, display_name=display_name, external_id=external_id,
        source=GroupSource.SCIM,
    )
    data: dict[str, Any] = {"display_name": group.display_name}
    members = frozenset(member_ids)
    if members:
        added, removed = orgs_services.group_members_apply(group, replace=members)
        data |= orgs_services.members_changed_data(added, removed)
        _apply_role_mappings(group, added, actor)
    audit_record(organization=organization, actor=actor, action="scim.group.created",
                 target=group, data=data)
    return group


@dataclass(frozen=True)
class GroupEdit:
    """What a push changes of a group: ``None`` leaves a field as it is."""

    display_name: str | None = None
    external_id: str | None = None
    members: MemberChange = MemberChange()


@transaction.atomic
def scim_group_update(
    *, group: Group, actor: Actor, change: Callable[[Group], GroupEdit],
) -> Group:
    """Rename and change members in one transaction. ``group`` may be an id and an
    organization only: it is locked and read here, and ``change`` turns the group as stored
    into what to write, so a PATCH computed on the locked row cannot write back a name read
    before a concurrent rename. Member changes are deltas applied under the group's row lock.

    One UPDATE of the group and one audit event: ``scim.group.members_changed`` when only
    its members changed, else ``scim.group.updated`` (with the members added and removed)."""
    g = orgs_services.group_lock(group)
    edit = change(g)
    members = edit.members
    added: set[Any] = set()
    removed: set[Any] = set()
    if members.replace is not None:
        added, removed = orgs_services.group_members_apply(g, replace=members.replace)
    elif not members.empty:
        added, removed = orgs_services.group_members_apply(g, add=members.add,
                                                           remove=members.remove)
    changes = orgs_services.group_apply(g, display_name=edit.display_name,
                                        external_id=edit.external_id,
                                        touch=bool(added or removed))
    if added or removed:
        _apply_role_mappings(g, added, actor)
    data: dict[str, Any] = {"changes": changes} if changes else {}
    if added or removed:
        data |= orgs_services.members_changed_data(added, removed)
    if data:
        action = "scim.group.updated" if changes else "scim.group.members_changed"
        audit_record(organization=g.organization, actor=actor, action=action, target=g,
                     data=data)
    return g


def scim_group_delete(*, group: Group, actor: Actor) -> None:
    """The IdP unlinked a pushed group with "delete": the group goes, its members stay."""
    orgs_services.group_delete(group=group, actor=actor, action="scim.group.deleted")


def _apply_role_mappings(group: Group, added: set[Any], actor: Actor) -> None:
    if added:
        # Members a push adds may get a mapped group's role (the rule and its limits are in
        # orgs.services.memberships_apply_group_role_mappings).
        orgs_services.memberships_apply_group_role_mappings(
            organization=group.organization, membership_ids=added, actor=actor,
            action="scim.user.role_changed",
        )

"""What an IdP's push does to members and groups: one service per SCIM write.

Each service owns its transaction and row locks, chooses its audit action names and calls the
``orgs`` services (and ``scim_profile_update`` for what the domain has no column for), so the
rule "what an IdP push does" lives here and nowhere else. The SCIM adapters only translate the
wire format to the arguments below and back; they never write or audit.

A member is described to these services as an ``IdpUser``: the domain's view of a SCIM User.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction

from orgs import services as orgs_services
from orgs.audit import Actor
from orgs.exceptions import NotFound
from orgs.models import Group, Membership, MembershipSource, Organization
from scim.services.profiles import scim_profile_update


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


@transaction.atomic
def scim_user_create(
    *, organization: Organization, user: IdpUser, actor: Actor, group_names: Iterable[str] = ()
) -> Membership:
    """Provision a member: an invitation (no account until their first verified sign-in) with
    the role mapped to the groups the create names, else the organization's default. An
    active member is sent an invitation."""
    role = orgs_services.role_for_new_member(organization=organization, group_names=group_names)
    membership = orgs_services.membership_add(
        organization=organization, email=user.email, actor=actor, first_name=user.given_name,
        last_name=user.family_name, role=role, source=MembershipSource.SCIM,
        scim_user_name=user.user_name, external_id=user.external_id, is_active=user.active,
        send_invitation=user.active, action="scim.user.created",
    )
    _save_profile(membership, IdpUser(user_name=user.user_name, email=user.email), user, actor)
    return membership


@transaction.atomic
def scim_user_update(
    *, membership: Membership, change: Callable[[IdpUser], IdpUser], actor: Actor
) -> Membership:
    """Apply an IdP's PUT or PATCH. ``change`` turns the member as stored into the member as
    the IdP now describes them; it runs under the member's row lock, on a fresh read, so two
    concurrent changes of one member never lose each other's part. A changed userName or email
    never moves the membership to another account; ``active`` deactivates or reactivates."""
    members = Membership.objects.filter(
        pk=membership.pk, organization_id=membership.organization_id
    )
    # Lock first, then read in a statement of its own: PostgreSQL re-reads only the locked row
    # after a wait, so a profile joined into the locking query could be a stale one.
    if not list(members.select_for_update().values_list("pk", flat=True)):
        raise NotFound(f"User {membership.pk} not found.")  # deleted by a concurrent request
    locked = members.select_related("organization", "user", "scim_profile").get()
    old = idp_user_of(locked)
    new = change(old)
    own = {
        "scim_user_name": (old.user_name, new.user_name),
        "external_id": (old.external_id, new.external_id),
        "email": (old.email, new.email),
        "first_name": (old.given_name, new.given_name),
        "last_name": (old.family_name, new.family_name),
    }
    changed = {name: after for name, (before, after) in own.items() if before != after}
    m = locked
    if changed:
        m = orgs_services.membership_update_profile(
            membership=m, actor=actor, action="scim.user.updated", **changed
        )
    if new.active != old.active:
        if new.active:
            m = orgs_services.membership_reactivate(
                membership=m, actor=actor, action="scim.user.reactivated"
            )
        else:
            m = orgs_services.membership_deactivate(
                membership=m, actor=actor, action="scim.user.deactivated"
            )
    _save_profile(m, old, new, actor)
    return m


@transaction.atomic
def scim_user_delete(*, membership: Membership, actor: Actor) -> None:
    """The IdP deleted the person: the membership and its group seats go (the organization's
    last active admin is refused); the account, if any, stays."""
    orgs_services.membership_remove(membership=membership, actor=actor, action="scim.user.deleted")


def _save_profile(membership: Membership, old: IdpUser, new: IdpUser, actor: Actor) -> None:
    if old.display_name == new.display_name and dict(old.profile) == dict(new.profile):
        return
    scim_profile_update(
        membership=membership, actor=actor, display_name=new.display_name,
        attributes=dict(new.profile),
    )


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
    group = orgs_services.group_create(
        organization=organization, display_name=display_name, external_id=external_id,
        actor=actor, action="scim.group.created",
    )
    members = frozenset(member_ids)
    if members:
        _change_members(group, MemberChange(replace=members), actor)
    return group


@transaction.atomic
def scim_group_update(
    *, group: Group, actor: Actor, display_name: str | None = None,
    external_id: str | None = None, members: MemberChange = MemberChange(),
) -> Group:
    """Rename and change members in one transaction. ``None`` leaves a field as it is: a
    PATCH writes only what its operations changed, so it cannot write back a name read before
    a concurrent rename. Member changes are deltas applied under the group's row lock."""
    group = orgs_services.group_update(
        group=group, actor=actor, display_name=display_name, external_id=external_id,
        action="scim.group.updated",
    )
    if not members.empty:
        _change_members(group, members, actor)
    return group


@transaction.atomic
def scim_group_delete(*, group: Group, actor: Actor) -> None:
    """The IdP unlinked a pushed group with "delete": the group goes, its members stay."""
    orgs_services.group_delete(group=group, actor=actor, action="scim.group.deleted")


def _change_members(group: Group, members: MemberChange, actor: Actor) -> None:
    if members.replace is not None:
        added, _ = orgs_services.group_set_members(
            group=group, actor=actor, memberships=members.replace,
            action="scim.group.members_changed",
        )
    else:
        added, _ = orgs_services.group_change_members(
            group=group, actor=actor, add=members.add, remove=members.remove,
            action="scim.group.members_changed",
        )
    if added:
        # Members a push adds may get a mapped group's role (the rule and its limits are in
        # orgs.services.memberships_apply_group_role_mappings).
        orgs_services.memberships_apply_group_role_mappings(
            organization=group.organization, membership_ids=added, actor=actor,
            action="scim.user.role_changed",
        )

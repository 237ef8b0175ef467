"""IdP group name → role mappings, and applying them to members a push adds."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from config.prepared_queries import prepared
from orgs.audit import Actor, audit_record, audit_record_many
from orgs.exceptions import (
    AlreadyExists,
    InvalidInput,
)
from orgs.models import (
    GroupMember,
    GroupRoleMapping,
    Membership,
    MembershipSource,
    MembershipStatus,
    Organization,
    Role,
)
from orgs.services.checks import check_role

logger = logging.getLogger(__name__)


class MappingExists(AlreadyExists):
    """The IdP group name (compared case-insensitively) is already mapped to another role."""

    def __init__(self, mapping: GroupRoleMapping, role: str) -> None:
        super().__init__(
            f"“{mapping.idp_group_name}” is already mapped to {mapping.get_role_display()}. "
            f"Replace it to map it to {Role(role).label} instead."
        )
        self.mapping = mapping


@transaction.atomic
def group_role_mapping_set(
    *, organization: Organization, idp_group_name: str, role: str, actor: Actor,
    replace: bool = False,
) -> GroupRoleMapping:
    """Map an IdP group name to a role. Names are compared case-insensitively, so "OKTA
    ADMINS" is the mapping "Okta Admins": changing its role needs ``replace`` (the admin
    confirmed it), else ``MappingExists``. The audit event records the role it replaced."""
    name = (idp_group_name or "").strip()
    if not name:
        raise InvalidInput("An IdP group name is required.")
    check_role(role)
    mapping = GroupRoleMapping.objects.select_for_update().filter(
        organization=organization, idp_group_name__iexact=name
    ).first()
    data: dict[str, Any] = {"idp_group_name": name, "role": role}
    if mapping is None:
        mapping = GroupRoleMapping.objects.create(
            organization=organization, idp_group_name=name, role=role
        )
    elif mapping.role == role:
        return mapping
    elif not replace:
        raise MappingExists(mapping, role)
    else:
        data |= {"idp_group_name": mapping.idp_group_name, "replaced_role": mapping.role}
        mapping.role = role
        mapping.save(update_fields=["role"])
    audit_record(
        organization=organization, actor=actor, action="org.group_role_mapping.set",
        target=mapping, data=data,
    )
    return mapping


@transaction.atomic
def group_role_mapping_delete(*, mapping: GroupRoleMapping, actor: Actor) -> None:
    audit_record(
        organization=mapping.organization, actor=actor, action="org.group_role_mapping.deleted",
        target=mapping, data={"idp_group_name": mapping.idp_group_name},
    )
    mapping.delete()


def _highest_mapped_role(mappings: dict[str, str], group_names: Iterable[str]) -> str | None:
    """The highest role mapped to any of ``group_names`` (compared case-insensitively), or
    None when none of them is mapped. ``mappings``: lower-cased IdP group name → role."""
    roles = {mappings[n.lower()] for n in group_names if n and n.lower() in mappings}
    for role in (Role.ADMIN, Role.MEMBER, Role.NO_ACCESS):
        if role in roles:
            return role
    return None


def _mappings(organization: Organization) -> dict[str, str]:
    """IdP group name (lowered) → role; prepared (``config.prepared_queries``): every group
    push that adds members reads them."""
    return {
        m.idp_group_name.lower(): m.role
        for m in prepared(("group_role_mappings",), _organization_mappings,
                          [organization.pk], [uuid.UUID])
    }


def _organization_mappings(organization_id: uuid.UUID) -> QuerySet[GroupRoleMapping]:
    return GroupRoleMapping.objects.filter(organization_id=organization_id)


def role_for_new_member(*, organization: Organization, group_names: Iterable[str] = ()) -> str:
    """The role a newly provisioned member gets: the highest mapped role among the IdP groups
    they arrive with, else the organization default."""
    names = [n for n in group_names if n]
    role = _highest_mapped_role(_mappings(organization), names) if names else None
    return role or organization.default_role


@transaction.atomic(savepoint=False)  # raises nothing to recover from: no savepoint needed
def memberships_apply_group_role_mappings(
    *,
    organization: Organization,
    membership_ids: Iterable[Any],
    actor: Actor,
    action: str = "membership.role_changed",
) -> list[Membership]:
    """Group role mappings for members whose groups arrive after them.

    Okta creates a person first (POST /Users, which carries no groups) and pushes their groups
    afterwards (Push Groups: POST /Groups, PUT or PATCH). So "first provisioned through a
    pushed group" is decided at the push, by this rule: when a push *adds* a member to a group,
    and that member was provisioned by SCIM and has not signed in yet (status invited: no first
    login and account setup in this organization), their role becomes the highest role mapped
    to any group they are now in. If none of their groups is mapped, their role is left alone.

    Never changed by a push: the role of anyone who has signed in (accepted), of members added
    by hand or by SSO, and roles on removal from a group. A demotion that would leave the
    organization without an active admin is skipped. Each change writes one ``action`` event
    with the groups it came from. Returns the memberships whose role changed.
    """
    ids = {i.pk if isinstance(i, Membership) else i for i in membership_ids}
    mappings = _mappings(organization) if ids else {}
    if not mappings:
        return []
    pending = list(
        Membership.objects.select_for_update(of=("self",))
        .select_related("organization")
        .filter(
            organization=organization, pk__in=ids, source=MembershipSource.SCIM,
            status=MembershipStatus.INVITED,
        )
        .order_by("pk")
    )
    names: dict[Any, list[str]] = {m.pk: [] for m in pending}
    for membership_id, name in GroupMember.objects.filter(
        membership_id__in=list(names)
    ).values_list("membership_id", "group__display_name"):
        names[membership_id].append(name)
    # A constant number of queries for any number of members: the admins are read (and
    # locked) once, each role is one UPDATE and the events are one INSERT.
    admins: set[Any] | None = None
    changed: list[tuple[Membership, str]] = []
    for m in pending:
        role = _highest_mapped_role(mappings, names[m.pk])
        if role is None or role == m.role:
            continue
        if m.role == Role.ADMIN and m.is_active:
            if admins is None:
                admins = _lock_active_admins(organization)
            if not admins - {m.pk}:
                logger.info("Group role mapping skipped for the last admin %s", m.pk)
                continue
            admins.discard(m.pk)
        changed.append((m, m.role))
        m.role = role
    now = timezone.now()
    for role in {m.role for m, _ in changed}:
        ids_for_role = [m.pk for m, _ in changed if m.role == role]
        Membership.objects.filter(pk__in=ids_for_role).update(role=role, updated_at=now)
    for m, _ in changed:
        m.updated_at = now
    audit_record_many(organization=organization, actor=actor, action=action, events=[
        (m, {"from": old, "to": m.role,
             "groups": sorted(n for n in names[m.pk] if mappings.get(n.lower()) == m.role)})
        for m, old in changed
    ])
    return [m for m, _ in changed]


def _lock_active_admins(organization: Organization) -> set[Any]:
    """The organization's active admins, their rows locked (as ``guard_last_admin`` does) so
    two concurrent demotions cannot both pass."""
    return set(
        Membership.objects.select_for_update()
        .filter(organization=organization, role=Role.ADMIN, is_active=True)
        .values_list("pk", flat=True)
    )

"""Groups of members and their membership changes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction

from orgs.audit import Actor, audit_record
from orgs.exceptions import (
    AlreadyExists,
    CrossOrganizationError,
    InvalidInput,
)
from orgs.models import (
    Group,
    GroupMember,
    Membership,
    Organization,
)
from orgs.services.updates import model_update


def _check_display_name(organization: Organization, name: str, exclude_pk: Any = None) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("A group needs a display name.")
    clash = Group.objects.filter(organization=organization, display_name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise AlreadyExists(f"A group named {name!r} already exists in {organization.name}.")
    return name


@transaction.atomic
def group_create(
    *,
    organization: Organization,
    display_name: str,
    actor: Actor,
    external_id: str = "",
    action: str = "group.created",
) -> Group:
    name = _check_display_name(organization, display_name)
    try:
        with transaction.atomic():
            group = Group.objects.create(
                organization=organization, display_name=name, external_id=external_id or ""
            )
    except IntegrityError as exc:
        raise AlreadyExists(f"A group named {name!r} already exists.") from exc
    audit_record(organization=organization, actor=actor, action=action, target=group)
    return group


@transaction.atomic
def group_update(
    *,
    group: Group,
    actor: Actor,
    display_name: str | None = None,
    external_id: str | None = None,
    action: str = "group.updated",
) -> Group:
    g = Group.objects.select_for_update().select_related("organization").get(pk=group.pk)
    data: dict[str, str] = {}
    if display_name is not None and display_name.strip() != g.display_name:
        data["display_name"] = _check_display_name(g.organization, display_name, exclude_pk=g.pk)
    if external_id is not None:
        data["external_id"] = external_id
    try:
        with transaction.atomic():
            changes = model_update(g, data)
    except IntegrityError as exc:
        raise AlreadyExists(f"A group named {data['display_name']!r} already exists.") from exc
    if not changes:
        return g
    audit_record(
        organization=g.organization, actor=actor, action=action, target=g,
        data={"changes": changes},
    )
    return g


@transaction.atomic
def group_delete(*, group: Group, actor: Actor, action: str = "group.deleted") -> None:
    """Delete a group; its members stay in the organization."""
    g = Group.objects.select_for_update().select_related("organization").get(pk=group.pk)
    audit_record(
        organization=g.organization, actor=actor, action=action, target=g,
        data={"display_name": g.display_name},
    )
    g.delete()


def _resolve_members(group: Group, memberships: Iterable[Membership | Any]) -> set[Any]:
    """Membership ids, all checked to belong to the group's organization."""
    ids = {m.pk if isinstance(m, Membership) else m for m in memberships}
    if not ids:
        return set()
    found = set(
        Membership.objects.filter(pk__in=ids, organization_id=group.organization_id)
        .values_list("pk", flat=True)
    )
    missing = {str(i) for i in ids} - {str(i) for i in found}
    if missing:
        raise CrossOrganizationError(
            f"Not members of {group.organization.name}: {', '.join(sorted(missing))}."
        )
    return found


def _lock_group(group: Group) -> Group:
    return Group.objects.select_for_update().select_related("organization").get(pk=group.pk)


@transaction.atomic
def group_change_members(
    *,
    group: Group,
    actor: Actor,
    add: Iterable[Membership | Any] = (),
    remove: Iterable[Membership | Any] = (),
    action: str = "group.members_changed",
) -> tuple[set[Any], set[Any]]:
    """Add and remove members in one step; idempotent (adding a member twice or removing an
    absent one changes nothing) and atomic under concurrency (the group row is locked).

    Returns the membership ids actually added and removed.
    """
    g = _lock_group(group)
    to_add = _resolve_members(g, add)
    to_remove = {m.pk if isinstance(m, Membership) else m for m in remove}
    current = set(GroupMember.objects.filter(group=g).values_list("membership_id", flat=True))
    to_remove_str = {str(i) for i in to_remove}
    removed = {i for i in current if str(i) in to_remove_str}
    added = to_add - current - removed
    if removed:
        GroupMember.objects.filter(group=g, membership_id__in=removed).delete()
    if added:
        GroupMember.objects.bulk_create(
            [GroupMember(group=g, membership_id=i) for i in added], ignore_conflicts=True
        )
    if added or removed:
        # A membership change is a change of the group: SCIM's meta.lastModified follows it.
        g.save(update_fields=["updated_at"])
        audit_record(
            organization=g.organization, actor=actor, action=action, target=g,
            data={"added": sorted(map(str, added)), "removed": sorted(map(str, removed))},
        )
    return added, removed


@transaction.atomic
def group_set_members(
    *,
    group: Group,
    actor: Actor,
    memberships: Iterable[Membership | Any],
    action: str = "group.members_changed",
) -> tuple[set[Any], set[Any]]:
    """Make the group's members exactly ``memberships`` (a full replace, as Okta's PUT)."""
    g = _lock_group(group)
    wanted = _resolve_members(g, memberships)
    current = set(GroupMember.objects.filter(group=g).values_list("membership_id", flat=True))
    return group_change_members(
        group=g, actor=actor, add=wanted - current, remove=current - wanted, action=action
    )

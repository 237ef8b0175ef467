"""Groups of members and their membership changes.

The ``group_insert``/``group_apply``/``group_members_apply`` functions hold the rules and the
writes; they run inside a caller's transaction (the caller locks the group with
``group_lock``) and record nothing, for a service that writes one audit event for its whole
change (``scim.services.provisioning``). The ``group_*`` services below them own their
transaction and audit each change.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet

from config.prepared_queries import prepared
from orgs.audit import Actor, audit_record
from orgs.exceptions import (
    AlreadyExists,
    CrossOrganizationError,
    InvalidInput,
    NotFound,
)
from orgs.models import (
    Group,
    GroupMember,
    GroupSource,
    Membership,
    Organization,
)
from orgs.services.checks import guard_idp_owned
from orgs.services.updates import model_update


def _clean_display_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("A group needs a display name.")
    return name


def _name_taken(name: str, organization: Organization) -> AlreadyExists:
    """The unique constraint on the folded name decided (through its index, with no query
    beforehand): a group of that name, ignoring case, exists in the organization."""
    return AlreadyExists(f"A group named {name!r} already exists in {organization.name}.")


def group_insert(
    *, organization: Organization, display_name: str, external_id: str = "",
    source: str = GroupSource.MANUAL,
) -> Group:
    """Create a group inside the caller's transaction; an error aborts it."""
    name = _clean_display_name(display_name)
    group = Group(organization=organization, display_name=name, external_id=external_id or "",
                  source=source)
    try:
        group.save(force_insert=True)
    except IntegrityError as exc:
        raise _name_taken(name, organization) from exc
    return group


def group_lock(group: Group) -> Group:
    """The group, locked and read afresh, with its organization; ``group`` may be an id and
    an organization only (a SCIM push reads nothing before this). Scoped to the organization:
    a group of another one is not found. Prepared (``config.prepared_queries``): every group
    push runs it."""
    found = prepared(("group_lock",), _locked_group, [group.pk, group.organization_id],
                     [uuid.UUID, uuid.UUID])
    if not found:
        raise NotFound(f"Group {group.pk} not found.")  # or deleted by a concurrent request
    return found[0]


def _locked_group(pk: uuid.UUID, organization_id: uuid.UUID) -> QuerySet[Group]:
    # ``of=("self",)``: the group's row only. Locking the joined organization row too (FOR
    # UPDATE locks every table of the query) made each push block every other write of the
    # organization (their foreign-key checks), request-log rows included, until its commit.
    return (Group.objects.select_for_update(of=("self",)).select_related("organization")
            .filter(pk=pk, organization_id=organization_id)[:1])


def group_apply(
    group: Group, *, display_name: str | None = None, external_id: str | None = None,
    touch: bool = False,
) -> dict[str, list[Any]]:
    """Rename a locked group or change its externalId, in one UPDATE (``touch``: stamp
    ``updated_at`` even so, its members changed). Returns ``{field: [before, after]}``."""
    data: dict[str, str] = {}
    if display_name is not None and display_name.strip() != group.display_name:
        data["display_name"] = _clean_display_name(display_name)
    if external_id is not None:
        data["external_id"] = external_id
    try:
        return model_update(group, data, touch=touch)
    except IntegrityError as exc:
        raise _name_taken(data.get("display_name", ""), group.organization) from exc


def _ids(memberships: Iterable[Membership | Any]) -> set[Any]:
    return {m.pk if isinstance(m, Membership) else m for m in memberships}


def _uuids(ids: set[Any]) -> set[uuid.UUID]:
    """The ids that can name a member (a membership id is a UUID); the rest name nobody."""
    out = set()
    for value in ids:
        try:
            out.add(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
        except ValueError:
            continue
    return out


def _resolve_members(group: Group, ids: set[Any]) -> dict[Any, bool]:
    """Membership ids, all checked to belong to the group's organization, each with whether
    it is in the group already: one query, whatever the number of ids."""
    if not ids:
        return {}
    # Prepared once (config.prepared_queries), the ids one parameter; a value that is no UUID
    # names nobody, so it is reported below with the other ids not found.
    found = dict(prepared(("group_members_resolve",), _member_presence,
                          [group.pk, group.organization_id, list(_uuids(ids))],
                          [uuid.UUID, uuid.UUID, list]))
    missing = {str(i) for i in ids} - {str(i) for i in found}
    if missing:
        raise CrossOrganizationError(
            f"Not members of {group.organization.name}: {', '.join(sorted(missing))}."
        )
    return found


def _member_presence(group_id: Any, organization_id: Any, ids: list[uuid.UUID]) -> QuerySet:
    """(membership id, whether it is in the group) for those of ``ids`` in the organization."""
    in_group = GroupMember.objects.filter(group_id=group_id, membership=OuterRef("pk"))
    return (Membership.objects.filter(pk__any=ids, organization_id=organization_id)
            .annotate(present=Exists(in_group)).order_by().values_list("pk", "present"))


def group_members_apply(
    group: Group, *, add: Iterable[Membership | Any] = (), remove: Iterable[Membership | Any] = (),
    replace: Iterable[Membership | Any] | None = None,
) -> tuple[set[Any], set[Any]]:
    """Change a locked group's members: ``replace`` makes them exactly that list, else ``add``
    and ``remove`` are applied (idempotent: adding a member twice or removing an absent one
    changes nothing). Returns the membership ids actually added and removed.

    A constant number of queries whatever the number of members: the ids to add are checked
    and looked up in the group in one query, only the rows concerned are read (a replace reads
    the group's members), and the new rows go in one INSERT. The group's row lock orders
    concurrent changes, so what is read here is still true when the rows are written."""
    members = GroupMember.objects.filter(group=group).order_by()
    if replace is not None:
        wanted = set(_resolve_members(group, _ids(replace)))
        current = set(members.values_list("membership_id", flat=True))
        to_add, removed = wanted - current, current - wanted
    else:
        to_add = {pk for pk, present in _resolve_members(group, _ids(add)).items()
                  if not present}
        to_remove = _uuids(_ids(remove))
        removed = set(members.filter(membership_id__in=to_remove).values_list(
            "membership_id", flat=True)) if to_remove else set()
    if removed:
        members.filter(membership_id__in=removed).delete()
    if to_add:
        GroupMember.objects.bulk_create(
            [GroupMember(group=group, membership_id=i) for i in to_add], ignore_conflicts=True
        )
    return to_add, removed


@transaction.atomic
def group_create(
    *,
    organization: Organization,
    display_name: str,
    actor: Actor,
    external_id: str = "",
    source: str = GroupSource.MANUAL,
    action: str = "group.created",
) -> Group:
    group = group_insert(organization=organization, display_name=display_name,
                         external_id=external_id, source=source)
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
    g = group_lock(group)
    if display_name is not None and display_name.strip() != g.display_name:
        guard_idp_owned(g, actor, what=f"the name of the group “{g.display_name}”",
                        where="Rename it in Okta (Push Groups).")
    changes = group_apply(g, display_name=display_name, external_id=external_id)
    if changes:
        audit_record(organization=g.organization, actor=actor, action=action, target=g,
                     data={"changes": changes})
    return g


@transaction.atomic
def group_delete(*, group: Group, actor: Actor, action: str = "group.deleted") -> None:
    """Delete a group; its members stay in the organization."""
    g = group_lock(group)
    audit_record(
        organization=g.organization, actor=actor, action=action, target=g,
        data={"display_name": g.display_name},
    )
    g.delete()


def members_changed_data(added: set[Any], removed: set[Any]) -> dict[str, list[str]]:
    """What an audit event says about a change of a group's members."""
    return {"added": sorted(map(str, added)), "removed": sorted(map(str, removed))}


def _change_members(group: Group, actor: Actor, action: str, **change: Any) -> tuple[set, set]:
    g = group_lock(group)
    added, removed = group_members_apply(g, **change)
    if added or removed:
        # A membership change is a change of the group: SCIM's meta.lastModified follows it.
        group_apply(g, touch=True)
        audit_record(organization=g.organization, actor=actor, action=action, target=g,
                     data=members_changed_data(added, removed))
    return added, removed


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
    return _change_members(group, actor, action, add=add, remove=remove)


@transaction.atomic
def group_set_members(
    *,
    group: Group,
    actor: Actor,
    memberships: Iterable[Membership | Any],
    action: str = "group.members_changed",
) -> tuple[set[Any], set[Any]]:
    """Make the group's members exactly ``memberships`` (a full replace, as Okta's PUT)."""
    return _change_members(group, actor, action, replace=memberships)

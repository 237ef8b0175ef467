"""Reads that cross relations, written once with the right joins so a page of any size costs a
fixed number of queries."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db.models import Prefetch, QuerySet

from config.prepared_queries import prepared
from orgs.models import (
    AuditEvent,
    Group,
    GroupMember,
    Membership,
    Organization,
    OrganizationMemberCount,
)


def _groups() -> Prefetch:
    return Prefetch("groups", queryset=Group.objects.only("id", "display_name"))


def membership_list(
    *, organization: Organization, with_groups: bool = True
) -> QuerySet[Membership]:
    """Members in creation order, each with its groups in one extra query (``with_groups``)."""
    qs = Membership.objects.filter(organization=organization).order_by("created_at", "id")
    return qs.prefetch_related(_groups()) if with_groups else qs


def membership_list_state(*, organization_id: uuid.UUID) -> tuple[int, int | None]:
    """How many members the organization has, exactly, and the version of its list order
    (``OrganizationMemberCount.list_version``), in one primary-key lookup: the count the
    database keeps, not a COUNT over every member; prepared (``config.prepared_queries``), as
    each full page of an import asks it. An organization without that row (its table emptied
    without its organizations, as a TRUNCATE can) is counted for real, with no version."""
    kept = prepared(
        ("membership_list_state",),
        lambda organization_id: OrganizationMemberCount.objects.filter(
            pk=organization_id).values_list("members", "list_version"),
        [organization_id], [uuid.UUID],
    )
    if kept:
        return kept[0]
    return Membership.objects.filter(organization_id=organization_id).count(), None


def membership_group_refs(*, memberships: list[Membership]) -> dict[object, list[tuple]]:
    """Each member's groups as (group id, display name) pairs, in the groups' order, in one
    query of bare values: a page of 100 members builds no Group instance and no related
    manager (which cost more than the query). The query is prepared once
    (``config.prepared_queries``), its ids one parameter whatever their number
    (``field__any``, ``config.lookups``): a lookup asks it for one member, a page for 100."""
    refs: dict[object, list[tuple]] = {m.pk: [] for m in memberships}
    if not refs:
        return refs
    ids = list(refs)
    # Unordered in SQL, sorted here: asked to order by the groups' creation, PostgreSQL may
    # walk every group of the database in that order and probe each for these members (2 ms
    # with 250 groups, and growing with every organization's groups) instead of reading these
    # members' few rows through the membership index.
    rows = prepared(
        ("membership_group_refs",),
        lambda ids: (
            GroupMember.objects.filter(membership_id__any=ids).order_by()
            .values_list("membership_id", "group_id", "group__display_name",
                         "group__created_at")
        ),
        [ids], [list],
    )
    for membership_id, group_id, name, _ in sorted(rows, key=lambda row: (row[3], row[1])):
        refs[membership_id].append((group_id, name))
    return refs


def group_list(*, organization: Organization, with_members: bool = True) -> QuerySet[Group]:
    qs = Group.objects.filter(organization=organization).order_by("created_at", "id")
    if with_members:
        qs = qs.prefetch_related(
            Prefetch(
                "group_members",
                queryset=GroupMember.objects.select_related("membership").only(
                    "id", "group_id", "membership_id", "membership__id", "membership__email",
                ),
            )
        )
    return qs


def group_member_ids(*, groups: list[Group]) -> dict[object, list[object]]:
    """Each group's membership ids, in the order they joined, in one query of bare id pairs.

    For pages of large groups (SCIM lists of 100 groups × 500 members): no model instances,
    no join, so the cost is the rows themselves.
    """
    ids: dict[object, list[object]] = {g.pk: [] for g in groups}
    if not ids:
        return ids
    rows = prepared(  # every group push answers with its group: prepared
        ("group_member_ids",),
        lambda group_ids: (
            GroupMember.objects.filter(group_id__any=group_ids)
            .order_by("created_at", "id")
            .values_list("group_id", "membership_id")
        ),
        [list(ids)], [list],
    )
    for group_id, membership_id in rows:
        ids[group_id].append(membership_id)
    return ids


def audit_event_list(*, organization: Organization, prefix: str = "") -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.filter(organization=organization)
    if prefix:
        qs = qs.filter(action__startswith=prefix)
    return qs.order_by("-created_at", "-id")


def audit_event_search(
    *,
    organization: Organization | None,
    all_orgs: bool = False,
    action_prefix: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    actor_label: str = "",
) -> QuerySet[AuditEvent]:
    """Audit events newest first, each with its organization in the same query.

    ``organization=None`` lists every organization's events (and those of none) only when
    ``all_orgs`` says so, so a forgotten argument can never widen a tenant's view.
    ``since`` and ``until`` are inclusive; ``actor_label`` matches a substring, ignoring case.
    """
    if organization is None and not all_orgs:
        raise ValueError("Give an organization, or all_orgs=True.")
    qs = AuditEvent.objects.select_related("organization")
    if organization is not None:
        qs = qs.filter(organization=organization)
    if action_prefix:
        qs = qs.filter(action__startswith=action_prefix)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lte=until)
    if actor_label:
        qs = qs.filter(actor_label__icontains=actor_label)
    return qs.order_by("-created_at", "-id")

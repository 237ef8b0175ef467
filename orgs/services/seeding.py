"""Seeding an organization at scale, for benchmarks and load tests (``manage.py seed_scale``).

Members arrive the way a first Okta import leaves them: SCIM-provisioned, keyed by userName and
externalId, every other one already signed in (an account linked, status accepted). Rows are
written with bulk INSERTs in batches, each batch in its own transaction, so 100,000 members
take seconds rather than the hours one SCIM create each would; one ``org.members.seeded`` audit
event says what was added.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from orgs.audit import Actor, audit_record
from orgs.exceptions import InvalidInput
from orgs.models import (
    Group,
    GroupMember,
    Membership,
    MembershipSource,
    MembershipStatus,
    Organization,
    User,
)

MAX_MEMBERS = 1_000_000


@dataclass(frozen=True)
class Seeded:
    members: int  # added now
    total: int  # the organization's members afterwards
    groups: int


def _members(organization: Organization, start: int, stop: int) -> list[Membership]:
    slug = organization.slug
    users = User.objects.bulk_create([
        User(email=f"user{i}@{slug}.example", first_name="User", last_name=str(i), password="!")
        for i in range(start, stop) if i % 2
    ])
    accounts = {u.email: u for u in users}
    now = timezone.now()
    rows = []
    for i in range(start, stop):
        email = f"user{i}@{slug}.example"
        account = accounts.get(email)
        rows.append(Membership(
            organization=organization, user=account, linked_at=now if account else None,
            email=email, scim_user_name=email, external_id=f"00u{slug[:8]}{i:09d}",
            given_name="User", family_name=str(i), role=organization.default_role,
            status=MembershipStatus.ACCEPTED if account else MembershipStatus.INVITED,
            source=MembershipSource.SCIM, created_at=now,
        ))
    return Membership.objects.bulk_create(rows)


def members_seed(
    *, organization: Organization, members: int, actor: Actor, groups: int = 0,
    group_size: int = 0, batch: int = 5_000,
) -> Seeded:
    """Grow ``organization`` to ``members`` members (adding only what is missing) and add
    ``groups`` groups of ``group_size`` of its members."""
    if not 0 <= members <= MAX_MEMBERS:
        raise InvalidInput(f"members must be between 0 and {MAX_MEMBERS:,}.")
    if groups < 0 or group_size < 0 or batch < 1:
        raise InvalidInput("groups, group size and batch must not be negative.")
    have = Membership.objects.filter(organization=organization).count()
    for start in range(have, members, batch):
        with transaction.atomic():
            _members(organization, start, min(members, start + batch))
    total = max(have, members)
    if groups:
        ids = list(Membership.objects.filter(organization=organization)
                   .order_by("created_at", "id").values_list("pk", flat=True)[:group_size])
        base = Group.objects.filter(organization=organization).count()
        with transaction.atomic():
            made = Group.objects.bulk_create([
                Group(organization=organization, display_name=f"Seeded group {base + g}")
                for g in range(groups)
            ])
            GroupMember.objects.bulk_create(
                [GroupMember(group=g, membership_id=m) for g in made for m in ids],
                batch_size=batch,
            )
    with transaction.atomic():
        audit_record(organization=organization, actor=actor, action="org.members.seeded",
                     target=organization, data={"added": max(0, members - have),
                                                "total": total, "groups": groups,
                                                "group_size": group_size})
    _refresh_statistics()
    return Seeded(members=max(0, members - have), total=total, groups=groups)


def _refresh_statistics() -> None:
    """What autovacuum would do after a bulk load, now, so the planner (and PostgreSQL's
    index-only scans) see the rows that were just written."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for table in ("orgs_user", "orgs_membership", "orgs_group", "orgs_groupmember"):
            cursor.execute(f"VACUUM ANALYZE {table}")

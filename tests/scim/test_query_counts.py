"""A page costs the same number of queries whatever its length and whatever the group sizes;
a PATCH adding 100 members costs the same as one adding a single member."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orgs.models import Group, GroupMember, Membership, User
from tests.factories import GroupFactory
from tests.scim.conftest import PATCH_OP, scim_body

# The rate limit counts in the cache (Redis in production), not in the database.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("cache_in_memory")]

# auth (token + org), count(), the page, one prefetch (groups of the users, members of the
# groups) and the request log's INSERT; the token's last_used_at is written at most once a
# minute, outside this.
LIST_QUERIES = 5


def _memberships(org, n: int, prefix: str) -> list[Membership]:
    users = User.objects.bulk_create(
        [User(email=f"{prefix}{i}@example.com", first_name="F", last_name="L") for i in range(n)]
    )
    return Membership.objects.bulk_create(
        [Membership(organization=org, user=u, scim_user_name=u.email) for u in users]
    )


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    assert response.status_code in (200, 201), response.content
    return len(ctx.captured_queries)


def test_user_list_page(scim, org, django_assert_num_queries):
    scim.get("/Users")  # first use of the token records last_used_at
    one = _memberships(org, 1, "a")
    group = GroupFactory(organization=org, members=one)
    with django_assert_num_queries(LIST_QUERIES):
        body = scim_body(scim.get("/Users?count=100"))
    assert body["itemsPerPage"] == 1
    assert body["Resources"][0]["groups"][0]["display"] == group.display_name

    many = _memberships(org, 150, "b")
    for i in range(3):
        GroupFactory(organization=org, members=many[:100])
    scim.get("/Users?filter=userName%20pr")
    with django_assert_num_queries(LIST_QUERIES):
        body = scim_body(scim.get("/Users?count=100"))
    assert body["itemsPerPage"] == 100 and body["totalResults"] == 151
    assert all(len(r["groups"]) == 3 for r in body["Resources"][1:])
    with django_assert_num_queries(LIST_QUERIES):
        scim.get('/Users?count=100&filter=userName%20sw%20%22b%22%20and%20active%20eq%20true')


def test_group_list_page(scim, org, django_assert_num_queries):
    scim.get("/Groups")
    singles = _memberships(org, 100, "s")
    for m in singles:
        GroupFactory(organization=org, members=[m])
    with django_assert_num_queries(LIST_QUERIES):
        body = scim_body(scim.get("/Groups?count=100"))
    assert body["itemsPerPage"] == 100
    assert all(len(g["members"]) == 1 for g in body["Resources"])

    Group.objects.all().delete()
    crowd = _memberships(org, 500, "c")
    for i in range(4):
        group = Group.objects.create(organization=org, display_name=f"Big {i}")
        GroupMember.objects.bulk_create([GroupMember(group=group, membership=m) for m in crowd])
    with django_assert_num_queries(LIST_QUERIES):
        body = scim_body(scim.get("/Groups?count=100"))
    assert [len(g["members"]) for g in body["Resources"]] == [500] * 4
    # Without members, one query fewer: no prefetch at all.
    with django_assert_num_queries(LIST_QUERIES - 1):
        scim.get("/Groups?count=100&excludedAttributes=members")


def test_patch_adding_members_costs_the_same_for_1_and_100(scim, org):
    scim.get("/Groups")
    people = _memberships(org, 101, "p")
    small = scim_body(scim.post("/Groups", {"displayName": "Small"}))["id"]
    large = scim_body(scim.post("/Groups", {"displayName": "Large"}))["id"]

    def add(gid, members):
        return lambda: scim.patch(f"/Groups/{gid}", {"schemas": [PATCH_OP], "Operations": [
            {"op": "add", "path": "members",
             "value": [{"value": str(m.pk)} for m in members]},
        ]})

    one = _queries(add(small, people[:1]))
    hundred = _queries(add(large, people[1:]))
    assert one == hundred, (one, hundred)
    print(f"PATCH add members: {one} queries for 1 member, {hundred} for 100")
    assert GroupMember.objects.filter(group_id=large).count() == 100

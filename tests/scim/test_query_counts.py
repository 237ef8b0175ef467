"""What each SCIM request costs in queries, whatever the size of the page, the group or the
organization: a page costs the same whatever its length and the group sizes, and each write
Okta makes costs a fixed, small number of queries (one audit insert per request), including a
PATCH adding a thousand members to a group.

The counts are taken through the test client, inside the test's transaction: each service's
transaction shows up as a SAVEPOINT and its RELEASE, two statements a production request (its
own BEGIN/COMMIT, which Django does not count as queries) does not make.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orgs.models import AuditEvent, Group, GroupMember, Membership, MembershipSource, Role, User
from tests.factories import GroupFactory, GroupRoleMappingFactory
from tests.scim.conftest import PATCH_OP, scim_body
from tests.scim.test_okta_aiw import OKTA_USER

# The rate limit counts in the cache (Redis in production), not in the database.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("cache_in_memory")]

# auth (token + org), count(), the page, one prefetch (groups of the users, members of the
# groups) and the request log's INSERT; the token's last_used_at is written at most once a
# minute, outside this.
LIST_QUERIES = 5
# A page shorter than count ends the list, so its length is the total: no count().
SHORT_PAGE_QUERIES = LIST_QUERIES - 1


def _memberships(org, n: int, prefix: str, **fields) -> list[Membership]:
    users = User.objects.bulk_create(
        [User(email=f"{prefix}{i}@example.com", first_name="F", last_name="L") for i in range(n)]
    )
    return Membership.objects.bulk_create(
        [Membership(organization=org, user=u, email=u.email, scim_user_name=u.email, **fields)
         for u in users]
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
    with django_assert_num_queries(SHORT_PAGE_QUERIES):
        body = scim_body(scim.get("/Users?count=100"))
    assert body["itemsPerPage"] == 1 and body["totalResults"] == 1
    assert body["Resources"][0]["groups"][0]["display"] == group.display_name

    many = _memberships(org, 150, "b")
    for _ in range(3):
        GroupFactory(organization=org, members=many[:100])
    with django_assert_num_queries(LIST_QUERIES):
        body = scim_body(scim.get("/Users?count=100"))
    assert body["itemsPerPage"] == 100 and body["totalResults"] == 151
    assert all(len(r["groups"]) == 3 for r in body["Resources"][1:])
    with django_assert_num_queries(LIST_QUERIES):
        scim.get('/Users?count=100&filter=userName%20sw%20%22b%22%20and%20active%20eq%20true')
    # The last page ends the list: counted by its length. A later page of the whole list
    # reads its members in one statement (their ids selected by a subquery whose text never
    # changes, orgs.list_positions.page_ids_query), as many queries as a first page, none of
    # them compiled again.
    with django_assert_num_queries(SHORT_PAGE_QUERIES):
        body = scim_body(scim.get("/Users?startIndex=101&count=100"))
    assert body["itemsPerPage"] == 51 and body["totalResults"] == 151
    # Groups not asked for are not read.
    with django_assert_num_queries(LIST_QUERIES - 1):
        body = scim_body(scim.get("/Users?count=100&excludedAttributes=groups"))
    assert "groups" not in body["Resources"][0]


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
    with django_assert_num_queries(SHORT_PAGE_QUERIES):
        body = scim_body(scim.get("/Groups?count=100"))
    assert [len(g["members"]) for g in body["Resources"]] == [500] * 4
    # Without members, one query fewer: no prefetch at all.
    with django_assert_num_queries(SHORT_PAGE_QUERIES - 1):
        scim.get("/Groups?count=100&excludedAttributes=members")


def test_cursor_pages_cost_the_same_however_deep(scim, org, django_assert_num_queries):
    scim.get("/Users")
    _memberships(org, 250, "d")
    with django_assert_num_queries(LIST_QUERIES):  # the first page counts the list
        body = scim_body(scim.get("/Users?cursor=&count=100"))
    # Then: auth, the page (one row more than asked, to know whether another follows) and
    # the groups; the total comes with the cursor.
    with django_assert_num_queries(SHORT_PAGE_QUERIES):
        body = scim_body(scim.get(f"/Users?cursor={body['nextCursor']}&count=100"))
    with django_assert_num_queries(SHORT_PAGE_QUERIES):
        body = scim_body(scim.get(f"/Users?cursor={body['nextCursor']}&count=100"))
    assert body["itemsPerPage"] == 50 and "nextCursor" not in body
    assert body["totalResults"] == 250


# --- writes --------------------------------------------------------------------------------


def test_okta_lookup_then_create(scim, org, django_assert_max_num_queries):
    scim.get("/Users")
    # auth and the page; a miss needs neither a count nor the groups.
    with django_assert_max_num_queries(2 + 1):  # + the request log's INSERT
        body = scim_body(scim.get('/Users?filter=userName%20eq%20%22test.user%40okta.local%22'
                                  '&startIndex=1&count=100'))
    assert body["totalResults"] == 0
    # auth; the userName/externalId check (one query, through their indexes); the member,
    # its SCIM profile, its invitation's job (queued in the same transaction: before, it was
    # queued after the commit, which a test's transaction never reaches, so it went
    # uncounted here) and one audit event; nothing is read back.
    with django_assert_max_num_queries(6 + 2 + 1):
        response = scim.post("/Users", OKTA_USER)
    assert response.status_code == 201
    assert list(AuditEvent.objects.filter(action__startswith="scim.user.").values_list(
        "action", flat=True)) == ["scim.user.created"]


def test_profile_update_and_deactivation(scim, org, django_assert_max_num_queries):
    scim.get("/Users")
    uid = scim_body(scim.post("/Users", OKTA_USER))["id"]
    current = scim_body(scim.get(f"/Users/{uid}"))
    AuditEvent.objects.all().delete()
    # auth, the member's lock and fresh read (the view does not read it first), one UPDATE
    # of the member and one of its profile, one audit event, and its groups for the answer.
    with django_assert_max_num_queries(7 + 2 + 1):
        response = scim.put(f"/Users/{uid}", {**current, "title": "CTO",
                                              "name": {"givenName": "Test", "familyName": "U"}})
    assert response.status_code == 200
    # A deactivation that also renames: still one UPDATE of the member and one event.
    with django_assert_max_num_queries(6 + 2 + 1):
        response = scim.patch(f"/Users/{uid}", {"schemas": [PATCH_OP], "Operations": [
            {"op": "replace", "value": {"active": False, "name.familyName": "V"}}]})
    assert scim_body(response)["active"] is False
    assert list(AuditEvent.objects.values_list("action", flat=True).order_by("id")) == [
        "scim.user.updated", "scim.user.deactivated"]


def test_group_create_and_rename(scim, org, django_assert_max_num_queries):
    scim.get("/Groups")
    # auth, the group, one audit event.
    with django_assert_max_num_queries(3 + 2 + 1):
        gid = scim_body(scim.post("/Groups", {"displayName": "Engineering"}))["id"]
    # auth, the group's lock and read (the view does not read it first), one UPDATE, one
    # audit event, the members for the answer.
    with django_assert_max_num_queries(5 + 2 + 1):
        response = scim.patch(f"/Groups/{gid}", {"schemas": [PATCH_OP], "Operations": [
            {"op": "replace", "value": {"displayName": "Platform"}}]})
    assert scim_body(response)["displayName"] == "Platform"


def _add(scim, gid, members):
    return lambda: scim.patch(f"/Groups/{gid}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "add", "path": "members", "value": [{"value": str(m.pk)} for m in members]},
    ]})


def test_patch_adding_1000_members_costs_the_same_as_adding_one(scim, org):
    scim.get("/Groups")
    people = _memberships(org, 1001, "p")
    small = scim_body(scim.post("/Groups", {"displayName": "Small"}))["id"]
    large = scim_body(scim.post("/Groups", {"displayName": "Large"}))["id"]
    one = _queries(_add(scim, small, people[:1]))
    thousand = _queries(_add(scim, large, people[1:]))
    assert one == thousand, (one, thousand)
    # auth, the group's lock and read, the ids checked and the present ones read (one
    # query), one INSERT, one UPDATE of the group, the role mappings, one audit event, the
    # members for the answer.
    assert thousand <= 9 + 2
    assert GroupMember.objects.filter(group_id=large).count() == 1000
    assert AuditEvent.objects.filter(target_id=large).count() == 2  # created, members_changed


def test_role_mappings_for_1000_members_cost_the_same_as_for_one(scim, org):
    """A push that maps a thousand invited members to a role: one UPDATE per role and one
    INSERT of their role-change events, not one per member."""
    scim.get("/Groups")
    GroupRoleMappingFactory(organization=org, idp_group_name="Admins", role=Role.ADMIN)
    people = _memberships(org, 1001, "r", source=MembershipSource.SCIM)
    first = scim_body(scim.post("/Groups", {"displayName": "Admins"}))["id"]
    one = _queries(_add(scim, first, people[:1]))
    Group.objects.filter(pk=first).delete()
    second = scim_body(scim.post("/Groups", {"displayName": "admins"}))["id"]
    thousand = _queries(_add(scim, second, people[1:]))
    assert one == thousand, (one, thousand)
    assert Membership.objects.filter(role=Role.ADMIN, organization=org).count() == 1001
    assert AuditEvent.objects.filter(action="scim.user.role_changed").count() == 1001


def test_token_use_is_written_at_most_once_a_minute(scim, org, django_assert_num_queries):
    from datetime import timedelta

    from django.utils import timezone

    from scim.models import ScimToken

    miss = '/Users?filter=userName%20eq%20%22nobody%40example.com%22'
    scim.get(miss)  # the first use records last_used_at
    first = ScimToken.objects.get().last_used_at
    for _ in range(3):  # a burst of calls: the token and the page each; no UPDATE
        with django_assert_num_queries(2 + 1):  # + the request log's INSERT
            scim.get(miss)
    assert ScimToken.objects.get().last_used_at == first
    ScimToken.objects.update(last_used_at=timezone.now() - timedelta(seconds=61))
    with django_assert_num_queries(3 + 1):  # a minute later: one UPDATE (+ the log)
        scim.get(miss)
    assert ScimToken.objects.get().last_used_at > first

"""Org A's token never sees, changes or references org B's users or groups — on any endpoint.

Sentry's SCIM bug was an unscoped object lookup; every id-taking endpoint is checked here with
the other organization's real ids, and every collection endpoint with the other's data present.
"""

from __future__ import annotations

import pytest

from orgs.models import AuditEvent, Group, GroupMember, Membership
from tests.factories import GroupFactory, MembershipFactory, UserFactory
from tests.scim.conftest import PATCH_OP, error, scim_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def theirs(other_org):
    """Org B's member (in a group) and group."""
    member = MembershipFactory(
        organization=other_org, scim_user_name="shared@example.com",
        user=UserFactory(email="shared@example.com"), external_id="00uB",
    )
    group = GroupFactory(organization=other_org, display_name="Engineering", members=[member],
                         external_id="gB")
    return member, group


def _snapshot():
    return (
        list(Membership.objects.order_by("pk").values()),
        list(Group.objects.order_by("pk").values()),
        list(GroupMember.objects.order_by("pk").values("group_id", "membership_id")),
    )


def test_lists_and_filters_never_show_the_other_org(scim, theirs):
    member, group = theirs
    assert scim_body(scim.get("/Users"))["totalResults"] == 0
    assert scim_body(scim.get("/Groups"))["totalResults"] == 0
    for text in ('userName eq "shared@example.com"', 'externalId eq "00uB"', "userName pr",
                 'emails.value co "shared"'):
        assert scim_body(scim.get("/Users", data={"filter": text}))["totalResults"] == 0
    for text in ('displayName eq "Engineering"', 'externalId eq "gB"'):
        assert scim_body(scim.get("/Groups", data={"filter": text}))["totalResults"] == 0
    assert scim_body(scim.post("/Users/.search", {"filter": "userName pr"}))[
        "totalResults"] == 0
    assert scim_body(scim.post("/Groups/.search", {}))["totalResults"] == 0
    assert scim_body(scim.post("/.search", {}))["totalResults"] == 0
    assert scim_body(scim.post("/.search", {"filter": 'displayName eq "Engineering"'}))[
        "totalResults"] == 0


def test_every_id_endpoint_answers_404_for_the_other_orgs_ids(scim, theirs):
    member, group = theirs
    before = _snapshot()
    events = AuditEvent.objects.count()
    for path, kind in ((f"/Users/{member.pk}", "User"), (f"/Groups/{group.pk}", "Group")):
        for method, args in (
            ("get", ()),
            ("put", ({"userName": "x@example.com", "displayName": "X", "active": False},)),
            ("patch", ({"schemas": [PATCH_OP], "Operations": [
                {"op": "replace", "value": {"active": False, "displayName": "X"}}]},)),
            ("delete", ()),
        ):
            if kind == "Group" and method == "patch":
                args = ({"schemas": [PATCH_OP], "Operations": [
                    {"op": "replace", "value": {"displayName": "X"}}]},)
            response = getattr(scim, method)(path, *args)
            assert response.status_code == 404, (method, path)
            assert scim_body(response) == error(404, f"{kind} {path.rsplit('/', 1)[1]} not found.")
    assert _snapshot() == before
    assert AuditEvent.objects.count() == events


def test_the_other_orgs_members_cannot_be_referenced(scim, org, theirs):
    member, group = theirs
    mine = scim_body(scim.post("/Groups", {"displayName": "Mine"}))["id"]
    bodies = [
        ("post", "/Groups", {"displayName": "New", "members": [{"value": str(member.pk)}]}),
        ("put", f"/Groups/{mine}", {"displayName": "Mine", "members": [{"value": str(member.pk)}]}),
        ("patch", f"/Groups/{mine}", {"schemas": [PATCH_OP], "Operations": [
            {"op": "add", "path": "members", "value": [{"value": str(member.pk)}]}]}),
        ("patch", f"/Groups/{mine}", {"schemas": [PATCH_OP], "Operations": [
            {"op": "replace", "path": "members", "value": [{"value": str(member.pk)}]}]}),
    ]
    for method, path, body in bodies:
        response = getattr(scim, method)(path, body)
        assert response.status_code == 400, (method, path)
        assert scim_body(response) == error(
            400, "Members must be users of this organization.", "invalidValue")
    # Removing their member from our group is a no-op, and never touches their group.
    response = scim.patch(f"/Groups/{mine}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "remove", "path": f'members[value eq "{member.pk}"]'}]})
    assert response.status_code == 200
    assert GroupMember.objects.filter(group=group, membership=member).exists()
    assert not GroupMember.objects.filter(group_id=mine).exists()


def test_same_names_in_both_orgs_do_not_clash(scim, org, theirs):
    """Uniqueness is per organization: B's userName and group name are free in A."""
    response = scim.post("/Users", {"userName": "shared@example.com"})
    assert response.status_code == 201
    mine = Membership.objects.get(pk=scim_body(response)["id"])
    assert mine.organization == org
    # An invitation of A's own: B's account is linked only at a verified sign-in with proof.
    assert mine.user is None and theirs[0].user.memberships.count() == 1
    assert scim.post("/Groups", {"displayName": "engineering"}).status_code == 201


def test_a_rename_with_another_orgs_member_changes_nothing(scim, org, theirs):
    """PUT and PATCH that rename a group and add B's member: 400, the whole request rolled
    back — name, members and audit log as before."""
    member, _ = theirs
    mine = MembershipFactory(organization=org)
    gid = scim_body(scim.post("/Groups", {"displayName": "Mine", "externalId": "g-1",
                                          "members": [{"value": str(mine.pk)}]}))["id"]
    before = scim_body(scim.get(f"/Groups/{gid}"))
    snapshot, events = _snapshot(), AuditEvent.objects.count()
    requests = [
        ("put", {"displayName": "Renamed", "externalId": "g-2",
                 "members": [{"value": str(mine.pk)}, {"value": str(member.pk)}]}),
        ("patch", {"schemas": [PATCH_OP], "Operations": [
            {"op": "replace", "value": {"id": gid, "displayName": "Renamed"}},
            {"op": "add", "path": "members", "value": [{"value": str(member.pk)}]}]}),
        ("patch", {"schemas": [PATCH_OP], "Operations": [
            {"op": "replace", "path": "displayName", "value": "Renamed"},
            {"op": "replace", "path": "members", "value": [{"value": str(member.pk)}]}]}),
    ]
    for method, body in requests:
        response = getattr(scim, method)(f"/Groups/{gid}", body)
        assert response.status_code == 400, method
        assert scim_body(response) == error(
            400, "Members must be users of this organization.", "invalidValue")
        assert scim_body(scim.get(f"/Groups/{gid}")) == before
    assert _snapshot() == snapshot
    assert AuditEvent.objects.count() == events


@pytest.fixture
def globex_jane(other_org, other_scim):
    """Globex's member Jane, provisioned by Globex's IdP and signed in (linked)."""
    uid = scim_body(other_scim.post("/Users", {
        "userName": "jane@example.com", "externalId": "00uG",
        "name": {"givenName": "Jane", "familyName": "Globex-Doe"},
        "title": "Globex CFO",
    }))["id"]
    account = UserFactory(email="jane@example.com", first_name="Jane", last_name="Doe")
    Membership.objects.filter(pk=uid).update(user=account)
    return uid, account


def test_a_create_with_another_orgs_members_email_reveals_nothing(scim, other_scim, globex_jane):
    """Issue 9: Acme's create for an email Globex's member uses answers with what Acme sent
    only — not Globex's names, title or account — and links nothing."""
    gid, account = globex_jane
    before = scim_body(other_scim.get(f"/Users/{gid}"))
    response = scim.post("/Users", {"userName": "jane@example.com"})
    assert response.status_code == 201
    body = scim_body(response)
    assert set(body) == {"schemas", "id", "userName", "emails", "active", "groups", "meta"}
    assert body["emails"] == [{"value": "jane@example.com", "type": "work", "primary": True}]
    assert "Globex" not in response.content.decode()
    assert Membership.objects.get(pk=body["id"]).user is None
    assert account.memberships.count() == 1
    assert scim_body(other_scim.get(f"/Users/{gid}")) == before


def test_a_rename_by_one_org_never_changes_what_another_org_shows(scim, other_scim, globex_jane):
    """Issue 9: Acme's PUT and PATCH of the names of its member with the same email change
    Acme's view only: Globex's GET and the account are as they were."""
    gid, account = globex_jane
    before = scim_body(other_scim.get(f"/Users/{gid}"))
    uid = scim_body(scim.post("/Users", {"userName": "jane@example.com"}))["id"]
    response = scim.patch(f"/Users/{uid}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "path": "name.givenName", "value": "Mallory"},
        {"op": "replace", "path": "emails[type eq \"work\"].value",
         "value": "mallory@acme.example"},
    ]})
    assert scim_body(response)["name"] == {"givenName": "Mallory"}
    response = scim.put(f"/Users/{uid}", {
        "userName": "jane@example.com", "name": {"givenName": "M", "familyName": "Allory"},
    })
    assert scim_body(response)["name"] == {"givenName": "M", "familyName": "Allory"}
    assert scim_body(other_scim.get(f"/Users/{gid}")) == before
    account.refresh_from_db()
    assert (account.email, account.first_name, account.last_name) == (
        "jane@example.com", "Jane", "Doe"
    )

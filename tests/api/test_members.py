"""Members: list with filters (a fixed number of queries), get, change the role, deactivate,
reactivate, remove; the last-admin rule and the audit events are the admin's."""

from __future__ import annotations

import pytest

from orgs.models import AuditEvent, Membership, MembershipSource, MembershipStatus, Role
from tests.api.conftest import error
from tests.factories import GroupFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org, org_admin):
    """org_admin first, then four members of different kinds."""
    alice = MembershipFactory(organization=org, user__email="alice@acme.test",
                              user__first_name="Alice", user__last_name="Liddell")
    bob = MembershipFactory(organization=org, user__email="bob@acme.test", is_active=False)
    carol = MembershipFactory(organization=org, user=None, email="carol@acme.test",
                              status=MembershipStatus.INVITED, source=MembershipSource.SCIM,
                              scim_user_name="carol@okta.test", external_id="00uCarol")
    dave = MembershipFactory(organization=org, user__email="dave@acme.test", role=Role.NO_ACCESS)
    GroupFactory(organization=org, display_name="Engineering", members=[alice, carol])
    return {"alice": alice, "bob": bob, "carol": carol, "dave": dave}


def emails(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [m["email"] for m in response.json()["results"]]


def test_list_in_the_order_members_were_added(api, people, org_admin):
    assert emails(api.get("/organizations/acme/members/")) == [
        org_admin.email, "alice@acme.test", "bob@acme.test", "carol@acme.test", "dave@acme.test"]


def test_one_member_as_json(api, people):
    carol = people["carol"]
    body = api.get(f"/organizations/acme/members/{carol.pk}/").json()
    group = carol.groups.get()
    assert body == {
        "id": str(carol.pk), "email": "carol@acme.test", "first_name": "", "last_name": "",
        "role": "member", "status": "invited", "is_active": True, "source": "scim",
        "scim_user_name": "carol@okta.test", "external_id": "00uCarol", "linked_at": None,
        "groups": [{"id": str(group.pk), "display_name": "Engineering"}],
        "created_at": body["created_at"], "updated_at": body["updated_at"],
    }


@pytest.mark.parametrize(("query", "expected"), [
    ({"role": "no-access"}, ["dave@acme.test"]),
    ({"status": "invited"}, ["carol@acme.test"]),
    ({"is_active": "false"}, ["bob@acme.test"]),
    ({"source": "scim"}, ["carol@acme.test"]),
    ({"email": "ALICE@acme.test"}, ["alice@acme.test"]),
    ({"q": "liddell"}, ["alice@acme.test"]),
    ({"q": "00ucar"}, ["carol@acme.test"]),
    ({"role": "member", "is_active": "true", "q": "acme.test"},
     ["alice@acme.test", "carol@acme.test"]),
    ({"q": ""}, None),  # an empty filter filters nothing
])
def test_filters(api, people, org_admin, query, expected):
    got = emails(api.get("/organizations/acme/members/", query))
    if expected is None:
        expected = [org_admin.email] + [f"{n}@acme.test" for n in ("alice", "bob", "carol",
                                                                   "dave")]
    assert got == expected


@pytest.mark.parametrize(("query", "field"), [
    ({"role": "owner"}, "role"), ({"status": "gone"}, "status"),
    ({"is_active": "maybe"}, "is_active"), ({"q": "a\x00b"}, "q"), ({"limit": "0"}, "limit"),
    ({"limit": "201"}, "limit"), ({"limit": "ten"}, "limit"), ({"cursor": "bogus"}, "cursor"),
    ({"cursor": "cD05OTk5LTEyLTMxVDIzJTNBNTklM0E1OS0yMyUzQTAw"}, "cursor"),  # p=9999-…-23:00
    ({"cursor": "cD1ub3QtYS10aW1l"}, "cursor"),  # p=not-a-time
])
def test_bad_filters_are_400_naming_the_parameter(api, people, query, field):
    response = api.get("/organizations/acme/members/", query)
    assert response.status_code == 400
    assert response.json() == error("invalid")
    assert list(response.json()["error"]["fields"]) == [field]


def test_pages_follow_next(api, people, org_admin):
    first = api.get("/organizations/acme/members/", {"limit": 2}).json()
    assert len(first["results"]) == 2 and first["next"]
    seen = [m["email"] for m in first["results"]]
    page = first
    while page["next"]:
        page = api.client.get(page["next"], HTTP_AUTHORIZATION=f"Bearer {api.key}").json()
        seen += [m["email"] for m in page["results"]]
    assert seen == emails(api.get("/organizations/acme/members/"))


def test_list_costs_a_fixed_number_of_queries(api, org, django_assert_max_num_queries):
    for n in range(30):
        member = MembershipFactory(organization=org)
        GroupFactory(organization=org, members=[member])
    # key lookup, last-used update, admin scope, org, page, groups prefetch (+ savepoints)
    with django_assert_max_num_queries(8):
        response = api.get("/organizations/acme/members/", {"limit": 200})
    assert len(response.json()["results"]) == 31


def test_change_role_is_audited(api, people, org_admin):
    alice = people["alice"]
    response = api.patch(f"/organizations/acme/members/{alice.pk}/", {"role": "admin"})
    assert response.status_code == 200 and response.json()["role"] == "admin"
    event = AuditEvent.objects.get(action="membership.role_changed", target_id=str(alice.pk))
    assert event.data == {"from": "member", "to": "admin"}
    assert event.actor_label == org_admin.user.email


def test_the_last_admin_cannot_be_demoted_or_removed(api, org_admin):
    path = f"/organizations/acme/members/{org_admin.pk}/"
    response = api.patch(path, {"role": "member"})
    assert response.status_code == 409 and response.json() == error("last_admin")
    response = api.delete(path)
    assert response.status_code == 409 and response.json() == error("last_admin")
    assert Membership.objects.get(pk=org_admin.pk).role == Role.ADMIN


@pytest.mark.parametrize(("body", "fields"), [
    ({"role": "owner"}, {"role": ['"owner" is not a valid choice.']}),
    ({}, {"role": ["This field is required."]}),
    ({"role": "admin", "is_active": False}, {"is_active": ["Unknown field."]}),
])
def test_change_role_validation(api, people, body, fields):
    response = api.patch(f"/organizations/acme/members/{people['alice'].pk}/", body)
    assert response.status_code == 400 and response.json() == error("invalid", fields=fields)


def test_deactivate_and_reactivate_are_audited_and_idempotent(api, people):
    alice = people["alice"]
    path = f"/organizations/acme/members/{alice.pk}"
    assert api.post(f"{path}/deactivate/").json()["is_active"] is False
    assert api.post(f"{path}/deactivate/").json()["is_active"] is False
    assert api.post(f"{path}/reactivate/").json()["is_active"] is True
    actions = list(AuditEvent.objects.filter(target_id=str(alice.pk)).order_by("id")
                   .values_list("action", flat=True))
    assert actions == ["membership.deactivated", "membership.reactivated"]
    assert alice.groups.count() == 1  # kept


def test_remove_keeps_the_account(api, people):
    alice = people["alice"]
    response = api.delete(f"/organizations/acme/members/{alice.pk}/")
    assert response.status_code == 204 and response.content == b""
    assert not Membership.objects.filter(pk=alice.pk).exists()
    alice.user.refresh_from_db()  # the global account is kept
    event = AuditEvent.objects.get(action="membership.removed")
    assert event.data == {"email": "alice@acme.test"}
    assert api.get(f"/organizations/acme/members/{alice.pk}/").status_code == 404


@pytest.mark.parametrize("member_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_unknown_member_is_404(api, org, member_id):
    response = api.get(f"/organizations/acme/members/{member_id}/")
    assert response.status_code == 404 and response.json() == error("not_found")

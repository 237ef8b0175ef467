"""Okta's App Integration Wizard app (PUT style), replayed request by request from the wire
notes: Test Connector Configuration, Create Users, Update User Attributes, Deactivate and
reactivate, Push Groups, Import. Headers, bodies and order as Okta sends them."""

from __future__ import annotations

import pytest
from django.core import mail

from orgs.models import AuditEvent, GroupMember, Membership, MembershipStatus, User
from tests.jobs.worker import run_jobs
from tests.scim.conftest import (
    GROUP_SCHEMA,
    LOCATION,
    USER_SCHEMA,
    list_response,
    meta,
    scim_body,
)

pytestmark = pytest.mark.django_db

OKTA_USER = {
    "schemas": [USER_SCHEMA],
    "userName": "test.user@okta.local",
    "name": {"givenName": "Test", "familyName": "User"},
    "emails": [{"primary": True, "value": "test.user@okta.local", "type": "work"}],
    "displayName": "Test User",
    "locale": "en-US",
    "externalId": "00ujl29u0le5T6Aj10h7",
    "groups": [],
    "password": "1mz050nq",
    "active": True,
}


def expected_user(uid: str, **changes) -> dict:
    user = {
        "schemas": [USER_SCHEMA],
        "id": uid,
        "userName": "test.user@okta.local",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "name": {"givenName": "Test", "familyName": "User"},
        "displayName": "Test User",
        "locale": "en-US",  # Okta sends it on create; a SCIM client reads back what it wrote
        "emails": [{"primary": True, "value": "test.user@okta.local", "type": "work"}],
        "active": True,
        "groups": [],
        "meta": meta("User", uid),
    }
    user.update(changes)
    return user


def test_test_connector_configuration(scim):
    response = scim.get("/Users?startIndex=1&count=2")
    assert response.status_code == 200
    assert scim_body(response) == list_response([])


@pytest.mark.parametrize("space", ["%20", "+"])
def test_create_user_lookup_then_post(scim, space, django_capture_on_commit_callbacks):
    query = f"filter=userName{space}eq{space}%22test.user%40okta.local%22&startIndex=1&count=100"
    response = scim.get(f"/Users?{query}")
    assert response.status_code == 200
    assert scim_body(response) == list_response([])

    with django_capture_on_commit_callbacks(execute=True):
        response = scim.post("/Users", OKTA_USER)
    assert response.status_code == 201
    body = scim_body(response)
    uid = body["id"]
    assert body == expected_user(uid)
    assert response["Location"] == f"{LOCATION}/Users/{uid}"

    membership = Membership.objects.select_related("user").get(pk=uid)
    assert membership.source == "scim"
    assert membership.status == MembershipStatus.INVITED
    assert membership.role == membership.organization.default_role
    assert (membership.email, membership.user) == ("test.user@okta.local", None)
    assert not User.objects.exists()  # Okta's password placeholder made no account
    assert run_jobs() == 1  # the invitation is a background job
    assert [m.to for m in mail.outbox] == [["test.user@okta.local"]]
    event = AuditEvent.objects.get(action="scim.user.created")
    assert event.actor_kind == "scim-token"
    assert event.user_agent == "Okta SCIM Client 1.0.0"
    assert event.target_id == uid

    # The same lookup now finds the user: Okta links it instead of creating another.
    response = scim.get(f"/Users?{query}")
    assert scim_body(response) == list_response([expected_user(uid)])


def test_update_deactivate_reactivate_by_put(scim):
    uid = scim_body(scim.post("/Users", OKTA_USER))["id"]

    # Update User Attributes: GET, then PUT of the whole resource (id, meta, password too).
    current = scim_body(scim.get(f"/Users/{uid}"))
    assert current == expected_user(uid)
    updated = {
        **current, "password": "1mz050nq", "name": {"givenName": "Test", "familyName": "Usher"},
        "displayName": "Test Usher",
    }
    response = scim.put(f"/Users/{uid}", updated)
    assert response.status_code == 200
    assert scim_body(response) == expected_user(
        uid, name={"givenName": "Test", "familyName": "Usher"}, displayName="Test Usher"
    )
    assert Membership.objects.get(pk=uid).family_name == "Usher"

    # Deactivate Users: GET, then PUT with active false. A later GET shows active: false.
    current = scim_body(scim.get(f"/Users/{uid}"))
    response = scim.put(f"/Users/{uid}", {**current, "active": False})
    assert response.status_code == 200
    assert scim_body(response)["active"] is False
    response = scim.get(f"/Users/{uid}")
    assert response.status_code == 200
    assert scim_body(response) == expected_user(
        uid, name={"givenName": "Test", "familyName": "Usher"}, displayName="Test Usher",
        active=False,
    )
    membership = Membership.objects.get(pk=uid)
    assert membership.is_active is False

    # Reactivation: the same id comes back.
    current = scim_body(scim.get(f"/Users/{uid}"))
    response = scim.put(f"/Users/{uid}", {**current, "active": True})
    assert response.status_code == 200
    assert scim_body(response)["id"] == uid
    assert Membership.objects.get(pk=uid).is_active is True
    events = list(AuditEvent.objects.filter(target_id=uid).order_by("created_at", "id"))
    # One event per request: the create carries the profile, the update its every change.
    assert [e.action for e in events] == [
        "scim.user.created", "scim.user.updated", "scim.user.deactivated",
        "scim.user.reactivated",
    ]
    assert events[0].data["profile"] == {"displayName": "Test User", "locale": "en-US"}
    assert events[1].data == {"changes": {"family_name": ["User", "Usher"],
                                          "displayName": ["Test User", "Test Usher"]}}
    assert events[2].data == {} and events[3].data == {}


def test_push_groups(scim):
    uid = scim_body(scim.post("/Users", OKTA_USER))["id"]

    response = scim.get(
        "/Groups?filter=displayName%20eq%20%22Engineering%22&startIndex=1&count=100"
    )
    assert response.status_code == 200
    assert scim_body(response) == list_response([])

    response = scim.post(
        "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Engineering", "members": []}
    )
    assert response.status_code == 201
    gid = scim_body(response)["id"]
    empty = {"schemas": [GROUP_SCHEMA], "id": gid, "displayName": "Engineering",
             "members": [], "meta": meta("Group", gid)}
    assert scim_body(response) == empty

    current = scim_body(scim.get(f"/Groups/{gid}"))
    assert current == empty
    member = {"value": uid, "display": "test.user@okta.local"}
    response = scim.put(f"/Groups/{gid}", {**current, "members": [member]})
    assert response.status_code == 200
    with_member = {**empty, "members": [{"value": uid, "$ref": f"{LOCATION}/Users/{uid}"}]}
    assert scim_body(response) == with_member
    assert scim_body(scim.get(f"/Users/{uid}"))["groups"] == [
        {"value": gid, "$ref": f"{LOCATION}/Groups/{gid}", "display": "Engineering"}
    ]

    # Rename: the whole group again, new name, same members.
    response = scim.put(
        f"/Groups/{gid}", {**current, "displayName": "Platform", "members": [member]}
    )
    assert response.status_code == 200
    assert scim_body(response) == {**with_member, "displayName": "Platform"}

    # Unlink with delete: the group goes, the member stays.
    response = scim.delete(f"/Groups/{gid}")
    assert response.status_code == 204
    assert response.content == b""
    assert scim.get(f"/Groups/{gid}").status_code == 404
    assert Membership.objects.filter(pk=uid).exists()
    assert not GroupMember.objects.exists()


def test_import_pages(scim, org):
    ids = [scim_body(scim.post("/Users", {
        **OKTA_USER, "userName": f"u{i}@okta.local", "externalId": f"00u{i}",
        "emails": [{"primary": True, "value": f"u{i}@okta.local", "type": "work"}],
    }))["id"] for i in range(3)]
    first = scim_body(scim.get("/Users?startIndex=1&count=2"))
    assert (first["totalResults"], first["startIndex"], first["itemsPerPage"]) == (3, 1, 2)
    second = scim_body(scim.get("/Users?startIndex=3&count=2"))
    assert (second["totalResults"], second["startIndex"], second["itemsPerPage"]) == (3, 3, 1)
    assert [r["id"] for r in first["Resources"] + second["Resources"]] == ids
    groups = scim_body(scim.get("/Groups?startIndex=1&count=100"))
    assert groups == list_response([])


def test_okta_spec_test_checks(scim, client):
    """Okta's SPEC test: list fields present, unknown userName → 0, upper-cased filter → 200,
    and its own posts use application/json."""
    scim.content_type = "application/json"
    uid = scim_body(scim.post("/Users", OKTA_USER))["id"]
    listed = scim_body(scim.get("/Users?startIndex=1&count=100"))["Resources"][0]
    assert listed["id"] == uid
    assert listed["name"]["givenName"] and listed["name"]["familyName"]
    assert listed["userName"] and listed["active"] is True and listed["emails"][0]["value"]
    unknown = scim.get('/Users?filter=userName%20eq%20%22nobody%40okta.local%22')
    assert scim_body(unknown)["totalResults"] == 0
    upper = scim.get('/Users?filter=userName%20eq%20%22TEST.USER%40OKTA.LOCAL%22')
    assert upper.status_code == 200
    assert [r["id"] for r in scim_body(upper)["Resources"]] == [uid]


def test_a_member_added_by_hand_is_found_and_linked_by_put(scim, org):
    """Okta's lookup finds a member an admin added before SCIM (userName = their email), so it
    links that member with a PUT instead of creating a duplicate."""
    from tests.factories import MembershipFactory, UserFactory

    manual = MembershipFactory(organization=org, user=UserFactory(
        email="Test.User@okta.local", first_name="Test", last_name="User"))
    found = scim_body(scim.get(
        "/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100"
    ))
    assert [r["id"] for r in found["Resources"]] == [str(manual.pk)]
    current = found["Resources"][0]
    response = scim.put(f"/Users/{manual.pk}", {**OKTA_USER, "id": current["id"],
                                                 "meta": current["meta"]})
    assert response.status_code == 200
    assert scim_body(response) == expected_user(str(manual.pk))
    manual.refresh_from_db()
    assert (manual.scim_user_name, manual.external_id) == (
        "test.user@okta.local", "00ujl29u0le5T6Aj10h7"
    )
    assert Membership.objects.filter(organization=org).count() == 1

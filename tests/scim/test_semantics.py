"""The SCIM rules of DESIGN.md, end to end through the API."""

from __future__ import annotations

import pytest
from django.core import mail

from orgs.models import AuditEvent, GroupMember, Membership, Role
from scim.models import ScimUserProfile
from tests.factories import GroupRoleMappingFactory
from tests.jobs.worker import run_jobs
from tests.scim.conftest import GROUP_SCHEMA, PATCH_OP, scim_body

pytestmark = pytest.mark.django_db


def test_userName_stays_as_sent_and_email_comes_from_emails(scim):
    body = scim_body(scim.post("/Users", {
        "userName": "JDoe", "emails": [{"value": "other@example.com"},
                                       {"value": "jdoe@example.com", "primary": True}],
    }))
    assert body["userName"] == "JDoe"
    assert Membership.objects.get(pk=body["id"]).email == "jdoe@example.com"
    assert scim_body(scim.get(f"/Users/{body['id']}"))["userName"] == "JDoe"


def test_invitation_email_on_creation_only_for_active_members(
    scim, org, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        scim.post("/Users", {"userName": "new@example.com"})
        scim.post("/Users", {"userName": "off@example.com", "active": False})
    assert run_jobs() == 1  # the invitation is a background job
    assert [m.to for m in mail.outbox] == [["new@example.com"]]
    assert "Acme" in mail.outbox[0].subject


def test_new_member_role_from_group_mapping(scim, org):
    GroupRoleMappingFactory(organization=org, idp_group_name="Roster Admins", role=Role.ADMIN)
    body = scim_body(scim.post("/Users", {
        "userName": "boss@example.com", "groups": [{"value": "x", "display": "roster admins"}],
    }))
    assert Membership.objects.get(pk=body["id"]).role == Role.ADMIN
    plain = scim_body(scim.post("/Users", {"userName": "plain@example.com"}))
    assert Membership.objects.get(pk=plain["id"]).role == org.default_role


def test_deactivation_keeps_membership_role_and_groups(scim):
    uid = scim_body(scim.post("/Users", {"userName": "jane@example.com"}))["id"]
    gid = scim_body(scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Eng",
                                          "members": [{"value": uid}]}))["id"]
    response = scim.patch(f"/Users/{uid}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "Replace", "path": "active", "value": "false"}]})
    assert scim_body(response)["active"] is False
    assert scim_body(response)["groups"][0]["value"] == gid
    assert GroupMember.objects.filter(membership_id=uid).exists()
    assert [r["id"] for r in scim_body(scim.get("/Users"))["Resources"]] == [uid]
    assert scim_body(scim.get("/Users?filter=active%20eq%20false"))["totalResults"] == 1


def test_deactivating_the_last_admin_is_allowed_removing_is_not(scim, org):
    from tests.factories import AdminMembershipFactory

    admin = AdminMembershipFactory(organization=org)
    response = scim.patch(f"/Users/{admin.pk}", {"Operations": [
        {"op": "replace", "value": {"active": False}}]})
    assert response.status_code == 200
    # Inactive, so no longer "the last active admin": removal is allowed now.
    assert scim.delete(f"/Users/{admin.pk}").status_code == 204


def test_put_keeps_the_account_fields_it_leaves_out(scim):
    uid = scim_body(scim.post("/Users", {
        "userName": "jane@example.com", "externalId": "00u1", "displayName": "Jane",
        "name": {"givenName": "Jane", "familyName": "Doe"},
    }))["id"]
    body = scim_body(scim.put(f"/Users/{uid}", {"userName": "jane@example.com"}))
    assert body["externalId"] == "00u1"
    assert body["name"] == {"givenName": "Jane", "familyName": "Doe"}
    assert body["active"] is True
    assert "displayName" not in body  # a SCIM-only attribute the PUT left out is cleared


def test_enterprise_extension_round_trip(scim):
    ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    uid = scim_body(scim.post("/Users", {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ext],
        "userName": "jane@example.com",
        ext: {"department": "R&D", "employeeNumber": "42", "manager": {"value": "x"}},
    }))["id"]
    body = scim_body(scim.get(f"/Users/{uid}"))
    assert body["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:User", ext]
    assert body[ext] == {"department": "R&D", "employeeNumber": "42", "manager": {"value": "x"}}
    response = scim.patch(f"/Users/{uid}", {"Operations": [{"op": "remove", "path": ext}]})
    assert ext not in scim_body(response)
    assert ScimUserProfile.objects.get(membership_id=uid).attributes.get(ext) is None


def test_every_change_is_audited_with_the_token_as_actor(scim, token):
    uid = scim_body(scim.post("/Users", {"userName": "jane@example.com"}))["id"]
    gid = scim_body(scim.post("/Groups", {"displayName": "Eng"}))["id"]
    scim.patch(f"/Groups/{gid}", {"Operations": [
        {"op": "add", "path": "members", "value": [{"value": uid}]},
        {"op": "replace", "path": "displayName", "value": "Engineering"},
    ]})
    scim.patch(f"/Users/{uid}", {"Operations": [{"op": "replace", "value": {
        "active": False, "name.familyName": "Doe", "displayName": "J"}}]})
    scim.delete(f"/Groups/{gid}")
    scim.delete(f"/Users/{uid}")
    events = list(AuditEvent.objects.exclude(action="scim.token.created").order_by("id"))
    # One event per request, with every change the request made.
    assert [e.action for e in events] == [
        "scim.user.created", "scim.group.created", "scim.group.updated",
        "scim.user.deactivated", "scim.group.deleted", "scim.user.deleted",
    ]
    assert events[2].data == {"changes": {"display_name": ["Eng", "Engineering"]},
                              "added": [uid], "removed": []}
    assert events[3].data == {"changes": {"family_name": ["", "Doe"], "displayName": ["", "J"]}}
    assert {(e.actor_kind, e.actor_label) for e in events} == {
        ("scim-token", f"SCIM token {token[:15]}… (Okta)")
    }
    assert all(e.user_agent == "Okta SCIM Client 1.0.0" and e.request_id for e in events)
    assert token not in str([e.data for e in events])


def test_group_delete_keeps_members_and_put_replaces_members(scim):
    a = scim_body(scim.post("/Users", {"userName": "a@example.com"}))["id"]
    b = scim_body(scim.post("/Users", {"userName": "b@example.com"}))["id"]
    gid = scim_body(scim.post("/Groups", {"displayName": "Eng",
                                          "members": [{"value": a}, {"value": b}]}))["id"]
    body = scim_body(scim.put(f"/Groups/{gid}", {"displayName": "Eng", "members": [{"value": b}]}))
    assert [m["value"] for m in body["members"]] == [b]
    body = scim_body(scim.put(f"/Groups/{gid}", {"displayName": "Eng"}))
    assert [m["value"] for m in body["members"]] == [b]  # members left out: kept
    response = scim.patch(f"/Groups/{gid}", {"Operations": [{"op": "remove", "path": "members"}]})
    assert scim_body(response)["members"] == []  # RFC 7644: remove without value = all
    assert scim.delete(f"/Groups/{gid}").status_code == 204
    assert Membership.objects.filter(pk__in=[a, b]).count() == 2


def test_group_put_keeps_external_id_it_leaves_out_and_patch_removes_it(scim):
    gid = scim_body(scim.post("/Groups", {"displayName": "Eng", "externalId": "okta-g1"}))["id"]
    assert scim_body(scim.put(f"/Groups/{gid}", {"displayName": "Eng"}))["externalId"] == (
        "okta-g1"
    )
    response = scim.patch(f"/Groups/{gid}", {"Operations": [
        {"op": "remove", "path": "externalId"}]})
    assert "externalId" not in scim_body(response)


def test_replace_of_a_complex_attribute_keeps_the_sub_attributes_it_leaves_out(scim):
    """RFC 7644 §3.5.2.3: sub-attributes not in the replace value are left unchanged."""
    uid = scim_body(scim.post("/Users", {
        "userName": "jane@example.com",
        "name": {"givenName": "Jane", "familyName": "Doe", "formatted": "Jane Doe"},
    }))["id"]
    response = scim.patch(f"/Users/{uid}", {"Operations": [
        {"op": "replace", "path": "name", "value": {"givenName": "Janet"}}]})
    assert scim_body(response)["name"] == {
        "givenName": "Janet", "familyName": "Doe", "formatted": "Jane Doe"}
    response = scim.patch(f"/Users/{uid}", {"Operations": [
        {"op": "replace", "value": {"name": {"familyName": "Roe"}}}]})
    assert scim_body(response)["name"] == {
        "givenName": "Janet", "familyName": "Roe", "formatted": "Jane Doe"}
    assert Membership.objects.get(pk=uid).family_name == "Roe"


def test_delete_twice_is_404_the_second_time(scim):
    uid = scim_body(scim.post("/Users", {"userName": "jane@example.com"}))["id"]
    gid = scim_body(scim.post("/Groups", {"displayName": "Eng"}))["id"]
    for path, kind, rid in ((f"/Users/{uid}", "User", uid), (f"/Groups/{gid}", "Group", gid)):
        assert scim.delete(path).status_code == 204
        events = AuditEvent.objects.count()
        response = scim.delete(path)
        assert response.status_code == 404
        assert scim_body(response) == {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "404",
            "detail": f"{kind} {rid} not found.",
        }
        assert AuditEvent.objects.count() == events


def test_put_that_omits_active_keeps_a_deactivated_member_deactivated(scim):
    """Omitting active is not a reactivation: only an explicit active true restores access."""
    uid = scim_body(scim.post("/Users", {"userName": "jane@example.com", "active": False}))["id"]
    response = scim.put(f"/Users/{uid}", {"userName": "jane@example.com", "displayName": "J"})
    assert response.status_code == 200
    assert scim_body(response)["active"] is False
    assert Membership.objects.get(pk=uid).is_active is False
    response = scim.put(f"/Users/{uid}", {"userName": "jane@example.com", "active": None})
    assert scim_body(response)["active"] is False
    response = scim.put(f"/Users/{uid}", {"userName": "jane@example.com", "active": "True"})
    assert scim_body(response)["active"] is True


def test_removing_a_member_id_that_cannot_exist_is_a_no_op(scim):
    """Removing an absent member is not an error (DESIGN.md), whatever the id looks like."""
    uid = scim_body(scim.post("/Users", {"userName": "jane@example.com"}))["id"]
    gid = scim_body(scim.post("/Groups", {"displayName": "Eng",
                                          "members": [{"value": uid}]}))["id"]
    for operation in (
        {"op": "remove", "path": 'members[value eq "not-a-uuid"]'},
        {"op": "Remove", "path": "members", "value": [{"value": "42"}, {"value": uid}]},
    ):
        response = scim.patch(f"/Groups/{gid}", {"schemas": [PATCH_OP],
                                                 "Operations": [operation]})
        assert response.status_code == 200, response.content
    assert scim_body(scim.get(f"/Groups/{gid}"))["members"] == []
    # Adding one is still refused: it would be a member that does not exist.
    response = scim.patch(f"/Groups/{gid}", {"Operations": [
        {"op": "add", "path": "members", "value": [{"value": "not-a-uuid"}]}]})
    assert response.status_code == 400
    assert scim_body(response)["scimType"] == "invalidValue"

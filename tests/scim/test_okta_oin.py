"""Okta's OIN catalog app (PATCH style), replayed from the wire notes."""

from __future__ import annotations

import pytest

from orgs.models import AuditEvent, GroupMember, Membership
from tests.scim.conftest import (
    GROUP_SCHEMA,
    LOCATION,
    PATCH_OP,
    meta,
    scim_body,
)
from tests.scim.test_okta_aiw import OKTA_USER, expected_user

pytestmark = pytest.mark.django_db


def _user(scim, name: str) -> str:
    body = {
        **OKTA_USER, "userName": f"{name}@okta.local", "externalId": f"00u{name}",
        "emails": [{"primary": True, "value": f"{name}@okta.local", "type": "work"}],
    }
    return scim_body(scim.post("/Users", body))["id"]


def _patch(*operations: dict) -> dict:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def test_deactivate_and_reactivate_with_no_path_replace(scim):
    uid = scim_body(scim.post("/Users", OKTA_USER))["id"]
    response = scim.patch(f"/Users/{uid}", _patch({"op": "replace", "value": {"active": False}}))
    assert response.status_code == 200
    assert scim_body(response) == expected_user(uid, active=False)
    assert scim_body(scim.get(f"/Users/{uid}")) == expected_user(uid, active=False)

    response = scim.patch(f"/Users/{uid}", _patch({"op": "replace", "value": {"active": True}}))
    assert response.status_code == 200
    assert scim_body(response) == expected_user(uid)
    assert list(
        AuditEvent.objects.filter(target_id=uid, action__in=[
            "scim.user.deactivated", "scim.user.reactivated",
        ]).order_by("id").values_list("action", "actor_kind")
    ) == [("scim.user.deactivated", "scim-token"), ("scim.user.reactivated", "scim-token")]


def test_group_rename_with_id_and_membership_changes(scim):
    jane, john, jim = _user(scim, "jane"), _user(scim, "john"), _user(scim, "jim")
    gid = scim_body(scim.post(
        "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Engineering", "members": []}
    ))["id"]

    # Rename, with the group's own id in the value (not a change).
    response = scim.patch(f"/Groups/{gid}", _patch(
        {"op": "replace", "value": {"id": gid, "displayName": "Platform"}}
    ))
    assert response.status_code == 200
    assert scim_body(response) == {
        "schemas": [GROUP_SCHEMA], "id": gid, "displayName": "Platform", "members": [],
        "meta": meta("Group", gid),
    }

    # Add two members.
    response = scim.patch(f"/Groups/{gid}", _patch(
        {"op": "replace", "value": {"id": gid, "displayName": "Platform"}},
        {"op": "add", "path": "members", "value": [
            {"value": jane, "display": "jane@okta.local"},
            {"value": john, "display": "john@okta.local"},
        ]},
    ))
    assert response.status_code == 200
    assert {m["value"] for m in scim_body(response)["members"]} == {jane, john}

    # Mixed in one request, in order: remove jane by filter, add jim.
    response = scim.patch(f"/Groups/{gid}", _patch(
        {"op": "replace", "value": {"id": gid, "displayName": "Platform"}},
        {"op": "remove", "path": f'members[value eq "{jane}"]'},
        {"op": "add", "path": "members", "value": [{"value": jim, "display": "jim@okta.local"}]},
    ))
    assert response.status_code == 200
    assert scim_body(response)["members"] == [
        {"value": john, "$ref": f"{LOCATION}/Users/{john}"},
        {"value": jim, "$ref": f"{LOCATION}/Users/{jim}"},
    ]

    # A full replace.
    response = scim.patch(f"/Groups/{gid}", _patch(
        {"op": "replace", "path": "members", "value": [{"value": jane, "display": "jane"}]}
    ))
    assert response.status_code == 200
    assert [m["value"] for m in scim_body(response)["members"]] == [jane]
    assert set(GroupMember.objects.values_list("membership_id", flat=True)) == {
        Membership.objects.get(pk=jane).pk
    }


def test_removing_an_absent_member_or_adding_twice_is_not_an_error(scim):
    jane = _user(scim, "jane")
    gid = scim_body(scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Eng"}))["id"]
    add = _patch({"op": "add", "path": "members", "value": [{"value": jane}]})
    assert scim.patch(f"/Groups/{gid}", add).status_code == 200
    assert scim.patch(f"/Groups/{gid}", add).status_code == 200
    assert GroupMember.objects.count() == 1
    remove = _patch({"op": "remove", "path": f'members[value eq "{jane}"]'})
    assert scim.patch(f"/Groups/{gid}", remove).status_code == 200
    response = scim.patch(f"/Groups/{gid}", remove)
    assert response.status_code == 200
    assert scim_body(response)["members"] == []


def test_operations_in_one_request_are_atomic(scim):
    jane = _user(scim, "jane")
    gid = scim_body(scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Eng"}))["id"]
    response = scim.patch(f"/Groups/{gid}", _patch(
        {"op": "replace", "value": {"displayName": "Renamed"}},
        {"op": "add", "path": "members", "value": [{"value": jane}]},
        {"op": "add", "path": "members", "value": [{"value": "not-a-uuid"}]},
    ))
    assert response.status_code == 400
    group = scim_body(scim.get(f"/Groups/{gid}"))
    assert group["displayName"] == "Eng"
    assert group["members"] == []

    uid = scim_body(scim.get("/Users"))["Resources"][0]["id"]
    response = scim.patch(f"/Users/{uid}", _patch(
        {"op": "replace", "value": {"active": False}},
        {"op": "replace", "path": "roles", "value": "JJ"},
    ))
    assert response.status_code == 400
    assert Membership.objects.get(pk=uid).is_active is True

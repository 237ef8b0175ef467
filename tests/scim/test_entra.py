"""Microsoft Entra ID's forms: capitalised ops, string booleans, filtered and dotted paths,
enterprise extension attributes, member removal by value list, externalId lookups,
excludedAttributes=members, null attributes on create, and user DELETE."""

from __future__ import annotations

import uuid

import pytest

from orgs.models import GroupMember, Membership, User
from tests.scim.conftest import (
    ENTERPRISE,
    GROUP_SCHEMA,
    LOCATION,
    PATCH_OP,
    USER_SCHEMA,
    list_response,
    meta,
    scim_body,
)

pytestmark = pytest.mark.django_db

ENTRA_UA = "Azure AD SCIM Client"

ENTRA_USER = {
    "schemas": [USER_SCHEMA, ENTERPRISE],
    "externalId": "4a1e0ac5-60cf-4f9e-9b3a-7b4b6b6b9f10",
    "userName": "Alex.Wilber@contoso.example",
    "active": True,
    "displayName": "Alex Wilber",
    "emails": [{"primary": True, "type": "work", "value": "Alex.Wilber@contoso.example"}],
    "name": {"formatted": "Alex Wilber", "familyName": "Wilber", "givenName": "Alex"},
    "title": None,
    "nickName": None,
    ENTERPRISE: {"department": "Retail", "employeeNumber": None},
}


@pytest.fixture
def entra(scim):
    scim.user_agent = ENTRA_UA
    scim.content_type = "application/scim+json"
    return scim


def _patch(*operations: dict) -> dict:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def expected(uid: str, **changes) -> dict:
    user = {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "id": uid,
        "externalId": "4a1e0ac5-60cf-4f9e-9b3a-7b4b6b6b9f10",
        "userName": "Alex.Wilber@contoso.example",
        "name": {"formatted": "Alex Wilber", "familyName": "Wilber", "givenName": "Alex"},
        "displayName": "Alex Wilber",
        "emails": [{"primary": True, "type": "work", "value": "Alex.Wilber@contoso.example"}],
        "active": True,
        "groups": [],
        ENTERPRISE: {"department": "Retail"},
        "meta": meta("User", uid),
    }
    user.update(changes)
    return user


def test_test_connection_with_a_random_guid(entra):
    response = entra.get(f'/Users?filter=userName%20eq%20%22{uuid.uuid4()}%22')
    assert response.status_code == 200
    assert scim_body(response) == list_response([])


def test_create_with_nulls_then_lookup_by_external_id(entra):
    response = entra.post("/Users", ENTRA_USER)
    assert response.status_code == 201
    uid = scim_body(response)["id"]
    assert scim_body(response) == expected(uid)
    response = entra.get(
        '/Users?filter=externalId%20eq%20%224a1e0ac5-60cf-4f9e-9b3a-7b4b6b6b9f10%22'
    )
    assert scim_body(response) == list_response([expected(uid)])


def test_patch_forms(entra):
    uid = scim_body(entra.post("/Users", ENTRA_USER))["id"]
    response = entra.patch(f"/Users/{uid}", _patch(
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "alex@contoso.example"},
        {"op": "Replace", "path": "name.givenName", "value": "Alexander"},
        {"op": "Replace", "path": "displayName", "value": "Alexander Wilber"},
        {"op": "Add", "path": f"{ENTERPRISE}:department", "value": "Sales"},
        {"op": "Replace", "path": "active", "value": "False"},
    ))
    assert response.status_code == 200
    assert scim_body(response) == expected(
        uid,
        name={"formatted": "Alex Wilber", "familyName": "Wilber", "givenName": "Alexander"},
        displayName="Alexander Wilber",
        emails=[{"primary": True, "type": "work", "value": "alex@contoso.example"}],
        active=False,
        **{ENTERPRISE: {"department": "Sales"}},
    )
    membership = Membership.objects.select_related("user").get(pk=uid)
    assert membership.is_active is False
    assert membership.user.first_name == "Alexander"
    # The account email is the person's login; an IdP edit of emails does not move it.
    assert membership.user.email == "Alex.Wilber@contoso.example"

    response = entra.patch(f"/Users/{uid}", _patch({"op": "Replace", "path": "active",
                                                      "value": "True"}))
    assert scim_body(response)["active"] is True


def test_compliance_mode_dotted_keys_in_no_path_replace(entra):
    uid = scim_body(entra.post("/Users", ENTRA_USER))["id"]
    response = entra.patch(f"/Users/{uid}", _patch({"op": "replace", "value": {
        "name.givenName": "Jo", "active": False,
        f"{ENTERPRISE}:department": "Legal",
    }}))
    assert response.status_code == 200
    body = scim_body(response)
    assert body["name"]["givenName"] == "Jo"
    assert body["active"] is False
    assert body[ENTERPRISE] == {"department": "Legal"}
    response = entra.patch(f"/Users/{uid}", _patch({"op": "replace", "value": {
        ENTERPRISE: {"department": "Ops", "costCenter": "42"},
    }}))
    assert scim_body(response)[ENTERPRISE] == {"department": "Ops", "costCenter": "42"}


def test_remove_members_by_value_list_removes_only_those(entra, org):
    a, b, c = (scim_body(entra.post("/Users", {
        **ENTRA_USER, "userName": f"{n}@contoso.example", "externalId": n,
        "emails": [{"primary": True, "type": "work", "value": f"{n}@contoso.example"}],
    }))["id"] for n in ("a", "b", "c"))
    gid = scim_body(entra.post("/Groups", {
        "schemas": [GROUP_SCHEMA], "displayName": "Sales", "externalId": "g-1",
        "members": [{"value": a}, {"value": b}, {"value": c}],
    }))["id"]
    response = entra.patch(f"/Groups/{gid}", _patch(
        {"op": "Remove", "path": "members", "value": [{"value": a}, {"value": c}]}
    ))
    assert response.status_code == 200
    assert scim_body(response)["members"] == [{"value": b, "$ref": f"{LOCATION}/Users/{b}"}]
    response = entra.patch(f"/Groups/{gid}", _patch(
        {"op": "Add", "path": "members", "value": [{"value": a}]},
        {"op": "Replace", "path": "displayName", "value": "Sales EMEA"},
    ))
    assert scim_body(response)["displayName"] == "Sales EMEA"
    assert {m["value"] for m in scim_body(response)["members"]} == {a, b}


def test_group_list_excluding_members(entra):
    uid = scim_body(entra.post("/Users", ENTRA_USER))["id"]
    gid = scim_body(entra.post("/Groups", {
        "schemas": [GROUP_SCHEMA], "displayName": "Sales", "members": [{"value": uid}],
    }))["id"]
    response = entra.get(
        '/Groups?excludedAttributes=members&filter=displayName%20eq%20%22sales%22'
    )
    assert scim_body(response) == list_response([{
        "schemas": [GROUP_SCHEMA], "id": gid, "displayName": "Sales", "meta": meta("Group", gid),
    }])


def test_delete_user_removes_the_membership_keeps_the_person(entra):
    uid = scim_body(entra.post("/Users", ENTRA_USER))["id"]
    gid = scim_body(entra.post("/Groups", {
        "schemas": [GROUP_SCHEMA], "displayName": "Sales", "members": [{"value": uid}],
    }))["id"]
    response = entra.delete(f"/Users/{uid}")
    assert response.status_code == 204
    assert entra.get(f"/Users/{uid}").status_code == 404
    assert not Membership.objects.filter(pk=uid).exists()
    assert not GroupMember.objects.exists()
    assert User.objects.filter(email__iexact="alex.wilber@contoso.example").exists()
    assert scim_body(entra.get(f"/Groups/{gid}"))["members"] == []


def test_compliance_mode_flag_on_the_base_url_is_accepted(entra):
    """Entra's ?aadOptscim062020 rides on every request URL; it changes nothing for us."""
    response = entra.get("/Users?aadOptscim062020&filter=userName%20eq%20%22x%40y.z%22")
    assert scim_body(response) == list_response([])
    uid = scim_body(entra.post("/Users?aadOptscim062020", ENTRA_USER))["id"]
    response = entra.patch(f"/Users/{uid}?aadOptscim062020", _patch(
        {"op": "replace", "value": {"active": False}}))
    assert scim_body(response)["active"] is False

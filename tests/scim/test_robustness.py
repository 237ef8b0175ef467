"""Odd but possible inputs: each gets a deliberate answer, never a 500, on both databases
(PostgreSQL enforces column sizes and rejects NUL characters; SQLite does neither)."""

from __future__ import annotations

import pytest

from tests.scim.conftest import error, scim_body

pytestmark = pytest.mark.django_db

ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _ops(*operations) -> dict:
    return {"Operations": list(operations)}


def test_huge_paging_values_are_clamped(scim):
    scim.post("/Users", {"userName": "a@example.com"})
    body = scim_body(scim.get("/Users?startIndex=99999999999999999999999&count=5"))
    assert (body["totalResults"], body["itemsPerPage"], body["startIndex"]) == (1, 0, 2**31)
    body = scim_body(scim.get("/Users?count=99999999999999999999999"))
    assert body["itemsPerPage"] == 1


def test_nul_in_a_filter(scim):
    response = scim.get("/Users?filter=userName%20eq%20%22%00%22")
    assert scim_body(response) == error(400, "The filter contains a NUL character.",
                                        "invalidFilter")


@pytest.mark.parametrize("body,detail", [
    ({"userName": "e" * 250 + "@example.com"}, "userName must be at most 254 characters."),
    ({"userName": "a@example.com", "externalId": "x" * 256},
     "externalId must be at most 255 characters."),
    ({"userName": "a@example.com", "displayName": "x" * 256},
     "displayName must be at most 255 characters."),
    ({"userName": "a", "emails": [{"value": "e" * 250 + "@example.com"}]},
     "emails.value must be at most 254 characters."),
    ({"userName": "a@example.com", "externalId": 5}, "externalId must be a string."),
    ({"userName": "a@example.com", "emails": [{"value": 5}]}, "emails.value must be a string."),
    ({"userName": "a@example.com", ENT: {"department": 5}}, "department must be a string."),
    ({"userName": "a@example.com", ENT: "x"}, f"{ENT} must be an object."),
])
def test_user_values_out_of_bounds(scim, body, detail):
    response = scim.post("/Users", body)
    assert response.status_code == 400
    assert scim_body(response) == error(400, detail, "invalidValue")


def test_long_values_in_patch_and_put(scim):
    uid = scim_body(scim.post("/Users", {"userName": "a@example.com"}))["id"]
    gid = scim_body(scim.post("/Groups", {"displayName": "G"}))["id"]
    for path, limit in (("userName", 254), ("externalId", 255), ("displayName", 255)):
        response = scim.patch(f"/Users/{uid}", _ops(
            {"op": "replace", "path": path, "value": "y" * (limit + 1)}))
        assert scim_body(response) == error(
            400, f"{path} must be at most {limit} characters.", "invalidValue")
    response = scim.put(f"/Groups/{gid}", {"displayName": "G", "externalId": "e" * 256})
    assert scim_body(response) == error(400, "externalId must be at most 255 characters.",
                                        "invalidValue")
    response = scim.patch(f"/Groups/{gid}", _ops(
        {"op": "replace", "path": "displayName", "value": "x" * 256}))
    assert scim_body(response) == error(400, "displayName must be at most 255 characters.",
                                        "invalidValue")
    # Names longer than their columns are refused, never cut (issue 9: refuse, don't strip).
    response = scim.patch(f"/Users/{uid}", _ops(
        {"op": "replace", "path": "name.givenName", "value": "g" * 300}))
    assert response.status_code == 400
    assert scim_body(response)["scimType"] == "invalidValue"
    assert "at most 150 characters" in scim_body(response)["detail"]


def test_assorted_odd_patches(scim):
    uid = scim_body(scim.post("/Users", {"userName": "a@example.com"}))["id"]
    gid = scim_body(scim.post("/Groups", {"displayName": "G"}))["id"]
    cases = [
        (f"/Users/{uid}", _ops({"op": "replace", "path": 5, "value": 1}), 400, "invalidPath"),
        (f"/Users/{uid}", {"Operations": "x"}, 400, "invalidSyntax"),
        (f"/Users/{uid}", _ops({"op": "add", "path": "emails", "value": [1]}), 400,
         "invalidValue"),
        (f"/Users/{uid}", _ops({"op": "replace", "value": {ENT: "x"}}), 400, "invalidValue"),
        (f"/Users/{uid}", _ops({"op": "replace", "path": "name.givenName", "value": None}),
         200, None),
        (f"/Users/{uid}", _ops({"op": "add", "path": "emails", "value": {"value": "b@x.com"}}),
         200, None),
        (f"/Users/{uid}", _ops({"op": "remove", "path": 'emails[type eq "home"]'}), 200, None),
        (f"/Groups/{gid}", _ops({"op": "add", "path": "members", "value": {"value": uid}}),
         200, None),
        (f"/Groups/{gid}", _ops({"op": "add", "path": 'members[value eq "x"]', "value": []}),
         400, "invalidPath"),
        (f"/Groups/{gid}", _ops({"op": "replace", "path": "externalId", "value": 5}), 400,
         "invalidValue"),
        (f"/Groups/{gid}", _ops({"op": "remove", "path": "displayName"}), 400, "mutability"),
    ]
    for path, body, status, scim_type in cases:
        response = scim.patch(path, body)
        assert response.status_code == status, (body, response.content)
        if scim_type:
            assert scim_body(response)["scimType"] == scim_type, body


@pytest.mark.parametrize("body", [
    {"userName": "a@example.com", "emails": [None]},
    {"userName": "a@example.com",
     "emails": [None, {"value": "a@example.com", "type": "work", "primary": True}]},
    {"userName": "a@example.com", "emails": [{"value": None, "type": "work", "primary": True}]},
    {"userName": "a@example.com", "phoneNumbers": [None], "addresses": [None, {}]},
    {"userName": "a@example.com", "name": {"givenName": None, "familyName": None}},
    {"userName": "a@example.com", ENT: {"manager": None, "department": None}},
    {"userName": "a@example.com", ENT: {"manager": {"value": None}}},
])
def test_null_items_and_values_on_create_are_ignored(scim, body):
    """Entra sends nulls for source attributes it has no value for, inside lists too."""
    response = scim.post("/Users", body)
    assert response.status_code == 201, response.content
    created = scim_body(response)
    assert created["emails"] == [{"value": "a@example.com", "type": "work", "primary": True}]
    assert not {"phoneNumbers", "addresses", "name", ENT} & set(created)
    assert scim_body(scim.get(f"/Users/{created['id']}")) == created


@pytest.mark.parametrize("content_type", [
    "application/json", "application/json; charset=utf-8", "application/scim+json",
    "application/scim+json; charset=utf-8",
])
def test_every_write_accepts_both_json_media_types(scim, content_type):
    """Okta's SPEC test and some Entra requests send application/json."""
    scim.content_type = content_type
    response = scim.post("/Users", {"userName": "a@example.com"})
    assert response.status_code == 201
    uid = scim_body(response)["id"]
    response = scim.put(f"/Users/{uid}", {"userName": "a@example.com", "title": "CTO"})
    assert scim_body(response)["title"] == "CTO"
    response = scim.patch(f"/Users/{uid}", _ops({"op": "replace", "path": "title",
                                                 "value": "CEO"}))
    assert scim_body(response)["title"] == "CEO"
    gid = scim_body(scim.post("/Groups", {"displayName": "G"}))["id"]
    response = scim.patch(f"/Groups/{gid}", _ops({"op": "add", "path": "members",
                                                  "value": [{"value": uid}]}))
    assert [m["value"] for m in scim_body(response)["members"]] == [uid]
    response = scim.post("/Users/.search", {"filter": 'title eq "x"'})
    assert scim_body(response) == error(400, "Filtering on 'title' is not supported.",
                                        "invalidFilter")

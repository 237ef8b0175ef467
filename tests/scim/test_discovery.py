"""ServiceProviderConfig, ResourceTypes and Schemas advertise exactly what we support."""

from __future__ import annotations

import pytest

from tests.scim.conftest import (
    ENTERPRISE,
    GROUP_SCHEMA,
    LIST,
    LOCATION,
    USER_SCHEMA,
    error,
    scim_body,
)

pytestmark = pytest.mark.django_db


def test_service_provider_config(scim):
    response = scim.get("/ServiceProviderConfig")
    assert response.status_code == 200
    assert scim_body(response) == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "http://127.0.0.1:8000/admin/",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": 100},
        "pagination": {"cursor": True, "index": True, "defaultPaginationMethod": "index",
                       "defaultPageSize": 100, "maxPageSize": 100},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with a SCIM token created on the SSO page.",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "primary": True,
        }],
        "meta": {"resourceType": "ServiceProviderConfig",
                 "location": f"{LOCATION}/ServiceProviderConfig"},
    }


def test_resource_types(scim):
    body = scim_body(scim.get("/ResourceTypes"))
    assert body["schemas"] == [LIST]
    assert body["totalResults"] == 2
    user, group = body["Resources"]
    assert user == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User", "name": "User", "endpoint": "/Users",
        "description": "Members of the organization.", "schema": USER_SCHEMA,
        "schemaExtensions": [{"schema": ENTERPRISE, "required": False}],
        "meta": {"resourceType": "ResourceType", "location": f"{LOCATION}/ResourceTypes/User"},
    }
    assert group["schema"] == GROUP_SCHEMA and "schemaExtensions" not in group
    assert scim_body(scim.get("/ResourceTypes/Group")) == group
    response = scim.get("/ResourceTypes/Device")
    assert response.status_code == 404
    assert scim_body(response) == error(404, "ResourceType Device not found.")


def _names(schema: dict) -> dict:
    return {
        a["name"]: sorted(s["name"] for s in a.get("subAttributes", []))
        for a in schema["attributes"]
    }


def test_schemas_list_only_supported_attributes(scim):
    body = scim_body(scim.get("/Schemas"))
    by_id = {s["id"]: s for s in body["Resources"]}
    assert set(by_id) == {
        USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE,
        "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig",
        "urn:ietf:params:scim:schemas:core:2.0:ResourceType",
        "urn:ietf:params:scim:schemas:core:2.0:Schema",
    }
    assert _names(by_id[USER_SCHEMA]) == {
        "userName": [], "externalId": [], "name": ["familyName", "formatted", "givenName"],
        "displayName": [],
        "nickName": [], "profileUrl": [], "title": [], "userType": [], "preferredLanguage": [],
        "locale": [], "timezone": [],
        "emails": ["primary", "type", "value"],
        "phoneNumbers": ["primary", "type", "value"],
        "addresses": ["country", "formatted", "locality", "postalCode", "primary", "region",
                      "streetAddress", "type"],
        "active": [],
        "groups": ["$ref", "display", "value"],
    }
    assert _names(by_id[GROUP_SCHEMA]) == {"displayName": [], "members": ["$ref", "value"]}
    assert _names(by_id[ENTERPRISE]) == {
        "employeeNumber": [], "costCenter": [], "organization": [], "division": [],
        "department": [], "manager": ["value"],
    }
    user_name = by_id[USER_SCHEMA]["attributes"][0]
    assert (user_name["required"], user_name["caseExact"], user_name["uniqueness"]) == (
        True, False, "server"
    )
    assert scim_body(scim.get(f"/Schemas/{USER_SCHEMA}")) == by_id[USER_SCHEMA]
    response = scim.get("/Schemas/urn:example:nothing")
    assert response.status_code == 404
    assert scim_body(response) == error(404, "Schema urn:example:nothing not found.")


@pytest.mark.parametrize("path", ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas"])
@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_discovery_is_read_only(scim, path, method):
    response = getattr(scim, method)(path, {})
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert scim_body(response) == error(405, f"{method.upper()} is not supported here.")


def test_discovery_delete_is_405(scim):
    response = scim.delete("/Schemas")
    assert response.status_code == 405
    assert scim_body(response) == error(405, "DELETE is not supported here.")


@pytest.mark.parametrize("path", ["/", "/Devices", "/Users/x/y", "/v1/Users"])
def test_unknown_resource_is_scim_404(scim, path):
    response = scim.get(path)
    assert response.status_code == 404
    assert scim_body(response) == error(404, "There is no SCIM resource at this address.")


@pytest.mark.parametrize("path", ["/Bulk", "/Me"])
def test_unimplemented_features_are_501(scim, path):
    response = scim.post(path, {})
    assert response.status_code == 501
    assert scim_body(response) == error(501, "This SCIM feature is not supported.")


def _shape(attr: dict) -> tuple:
    return (attr["type"], attr["multiValued"], attr["mutability"], attr["returned"],
            attr["required"])


def test_entra_default_attributes_are_advertised_with_rfc_7643_types(scim):
    """Entra ID's default mappings for a non-gallery app, as RFC 7643 §4.1 and §4.3 type them."""
    body = scim_body(scim.get("/Schemas"))
    by_id = {s["id"]: {a["name"]: a for a in s["attributes"]} for s in body["Resources"]}
    user, enterprise = by_id[USER_SCHEMA], by_id[ENTERPRISE]
    string = ("string", False, "readWrite", "default", False)
    for name in ("nickName", "title", "userType", "preferredLanguage", "locale", "timezone"):
        assert _shape(user[name]) == string, name
        assert user[name]["caseExact"] is False
    assert _shape(user["profileUrl"]) == ("reference", False, "readWrite", "default", False)
    assert user["profileUrl"]["referenceTypes"] == ["external"]
    for name in ("phoneNumbers", "addresses"):
        assert _shape(user[name]) == ("complex", True, "readWrite", "default", False), name
        subs = {s["name"]: s for s in user[name]["subAttributes"]}
        assert _shape(subs["primary"]) == ("boolean", False, "readWrite", "default", False)
        assert all(_shape(s) == string for n, s in subs.items() if n != "primary"), name
    phone_types = {s["name"]: s for s in user["phoneNumbers"]["subAttributes"]}["type"]
    assert {"work", "mobile", "fax"} <= set(phone_types["canonicalValues"])
    address_types = {s["name"]: s for s in user["addresses"]["subAttributes"]}["type"]
    assert "work" in address_types["canonicalValues"]
    assert _shape(enterprise["manager"]) == ("complex", False, "readWrite", "default", False)
    assert [_shape(s) for s in enterprise["manager"]["subAttributes"]] == [string]
    assert _shape(enterprise["employeeNumber"]) == string


@pytest.fixture
def ids(scim) -> tuple[str, str]:
    uid = scim_body(scim.post("/Users", {"userName": "jane@example.com"}))["id"]
    gid = scim_body(scim.post("/Groups", {"displayName": "Eng"}))["id"]
    return uid, gid


def _every_get_path(uid: str, gid: str) -> list[str]:
    return ["/ServiceProviderConfig", "/ResourceTypes", "/ResourceTypes/User", "/Schemas",
            f"/Schemas/{USER_SCHEMA}", "/Users", f"/Users/{uid}", "/Groups", f"/Groups/{gid}"]


def test_every_endpoint_answers_with_a_trailing_slash_and_a_doubled_one(scim, ids):
    """An admin who pastes the SCIM URL with a trailing slash makes clients send //Users."""
    uid, gid = ids
    for path in _every_get_path(uid, gid):
        expected = scim_body(scim.get(path))
        assert scim_body(scim.get(path + "/")) == expected, path
        assert scim_body(scim.get("/" + path)) == expected, path
    for path in ("/Users/.search/", "/Groups/.search/", "/.search/", "//.search"):
        response = scim.post(path, {})
        assert response.status_code == 200, path
        assert scim_body(response)["schemas"] == [LIST]
    response = scim.patch(f"/Groups/{gid}/", {"Operations": [
        {"op": "replace", "path": "displayName", "value": "Platform"}]})
    assert scim_body(response)["displayName"] == "Platform"
    assert scim.put(f"/Users/{uid}/", {"userName": "jane@example.com"}).status_code == 200
    assert scim.post("/Users/", {"userName": "john@example.com"}).status_code == 201
    assert scim.delete(f"/Groups/{gid}/").status_code == 204


def test_head_is_get_without_a_body(scim, client, ids):
    uid, gid = ids
    for path in _every_get_path(uid, gid):
        got = scim.get(path)
        response = client.head("/scim/v2" + path, **scim._headers())
        assert response.status_code == 200, path
        assert response["Content-Type"] == "application/scim+json"
        assert response.content == b""
        if "Location" in got:
            assert response["Location"] == got["Location"]
    response = client.head("/scim/v2/Users/00000000-0000-4000-8000-000000000000",
                           **scim._headers())
    assert response.status_code == 404 and response.content == b""
    assert client.head("/scim/v2/Users").status_code == 401


@pytest.mark.parametrize("path,allow", [
    ("/Users", "GET, HEAD, POST"),
    ("/Users/{uid}", "GET, HEAD, PUT, PATCH, DELETE"),
    ("/Groups", "GET, HEAD, POST"),
    ("/Groups/{gid}/", "GET, HEAD, PUT, PATCH, DELETE"),
    ("/Users/.search", "POST"),
    ("/.search", "POST"),
    ("/Schemas", "GET, HEAD"),
    ("/ServiceProviderConfig", "GET, HEAD"),
])
def test_options_lists_the_allowed_methods(scim, client, ids, path, allow):
    uid, gid = ids
    response = client.options("/scim/v2" + path.format(uid=uid, gid=gid), **scim._headers())
    assert response.status_code == 204
    assert response["Allow"] == allow
    assert response.content == b""


def test_options_needs_the_token_and_an_existing_resource(scim, client):
    response = client.options("/scim/v2/Users")
    assert response.status_code == 401
    assert scim_body(response) == error(401, "A bearer token is required.")
    response = client.options("/scim/v2/Devices", **scim._headers())
    assert response.status_code == 404
    assert scim_body(response) == error(404, "There is no SCIM resource at this address.")


@pytest.mark.parametrize("method", ["TRACE", "CONNECT"])
def test_other_methods_are_405_with_allow(scim, client, method):
    response = client.generic(method, "/scim/v2/Users", **scim._headers())
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, POST"
    assert scim_body(response) == error(405, f"{method} is not supported here.")


def test_no_content_answers_are_scim_json_too(scim, ids):
    uid, gid = ids
    for path in (f"/Groups/{gid}", f"/Users/{uid}"):
        response = scim.delete(path)
        assert response.status_code == 204
        assert response["Content-Type"] == "application/scim+json"
        assert response.content == b""

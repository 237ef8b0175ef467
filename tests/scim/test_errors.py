"""Every bad input: its status, scimType and exact body; none is a 500, none leaks internals."""

from __future__ import annotations

import pytest

from orgs.models import Membership
from tests.factories import AdminMembershipFactory, GroupFactory, MembershipFactory
from tests.scim.conftest import GROUP_SCHEMA, PATCH_OP, error, scim_body

pytestmark = pytest.mark.django_db

MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def uid(scim) -> str:
    return scim_body(scim.post("/Users", {"userName": "jane@example.com"}))["id"]


@pytest.fixture
def gid(scim) -> str:
    return scim_body(scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Eng"}))[
        "id"
    ]


def _ops(*operations) -> dict:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


# --- syntax --------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["{not json", "", "\xff\xfe", "[1, 2"])
@pytest.mark.parametrize("method,path", [("post", "/Users"), ("post", "/Groups")])
def test_malformed_json_on_create(scim, raw, method, path):
    response = getattr(scim, method)(path, raw=raw.encode("latin-1"))
    assert response.status_code == 400
    assert scim_body(response) == error(400, "The request body is not valid JSON.",
                                        "invalidSyntax")


def test_malformed_json_on_put_and_patch(scim, uid, gid):
    for method, path in (("put", f"/Users/{uid}"), ("patch", f"/Users/{uid}"),
                         ("put", f"/Groups/{gid}"), ("patch", f"/Groups/{gid}")):
        response = getattr(scim, method)(path, raw="{")
        assert response.status_code == 400, (method, path)
        assert scim_body(response) == error(400, "The request body is not valid JSON.",
                                            "invalidSyntax")


@pytest.mark.parametrize("body,detail", [
    ([1, 2], "The body must be a User object."),
    ("text", "The body must be a User object."),
])
def test_create_user_body_not_an_object(scim, body, detail):
    response = scim.post("/Users", body)
    assert response.status_code == 400
    assert scim_body(response) == error(400, detail, "invalidSyntax")


@pytest.mark.parametrize("body,detail", [
    ({"Operations": []}, "A PATCH body needs a non-empty Operations list."),
    ({"schemas": [PATCH_OP]}, "A PATCH body needs a non-empty Operations list."),
    ({"schemas": ["urn:x"], "Operations": [{"op": "add"}]},
     "A PATCH body must have the schema urn:ietf:params:scim:api:messages:2.0:PatchOp."),
    (_ops("add"), "Each operation must be an object."),
    (_ops({"op": "move", "path": "active", "value": True}), "Unknown PATCH op 'move'."),
    (_ops({"path": "active", "value": True}), "Unknown PATCH op None."),
    ([], "The body must be a PatchOp object."),
])
def test_malformed_patch(scim, uid, body, detail):
    response = scim.patch(f"/Users/{uid}", body)
    assert response.status_code == 400
    assert scim_body(response) == error(400, detail, "invalidSyntax")


# --- values --------------------------------------------------------------------------------


@pytest.mark.parametrize("body,detail", [
    ({}, "userName is required."),
    ({"userName": ""}, "userName is required."),
    ({"userName": 42}, "userName must be a string."),
    ({"userName": "not-an-email"},
     "An email address is required: send emails or an email userName."),
    ({"userName": "a@example.com", "active": "maybe"}, "active must be a boolean."),
    ({"userName": "a@example.com", "emails": "a@example.com"}, "emails must be a list."),
    ({"userName": "a@example.com", "name": "Jane"}, "name must be an object."),
    ({"userName": "x", "emails": [{"value": "not an email", "primary": True}]},
     "'not an email' is not a valid email address."),
])
def test_invalid_user_values(scim, body, detail):
    response = scim.post("/Users", body)
    assert response.status_code == 400
    assert scim_body(response) == error(400, detail, "invalidValue")


@pytest.mark.parametrize("body,detail", [
    ({"schemas": [GROUP_SCHEMA]}, "displayName is required."),
    ({"displayName": "  "}, "displayName is required."),
    ({"displayName": 7}, "displayName must be a string."),
    ({"displayName": "G", "members": "x"},
     'members must be a list of {"value": "<id>"} objects.'),
    ({"displayName": "G", "members": [{"display": "x"}]},
     'Each member must be an object with a string "value".'),
    ({"displayName": "G", "members": [{"value": "nope"}]},
     "'nope' is not a member of this organization."),
])
def test_invalid_group_values(scim, body, detail):
    response = scim.post("/Groups", body)
    assert response.status_code == 400
    assert scim_body(response) == error(400, detail, "invalidValue")


def test_patch_value_errors(scim, uid):
    cases = [
        (_ops({"op": "replace", "path": "active", "value": "sometimes"}),
         "active must be a boolean.", "invalidValue"),
        (_ops({"op": "replace", "path": "active"}), "The replace operation needs a value.",
         "invalidValue"),
        (_ops({"op": "replace", "value": "x"}), "Without a path the value must be an object.",
         "invalidValue"),
        (_ops({"op": "remove"}), "A remove operation needs a path.", "noTarget"),
        (_ops({"op": "remove", "path": "userName"}),
         "userName is required and cannot be removed.", "mutability"),
        (_ops({"op": "replace", "path": "userName", "value": ""}),
         "userName must be a non-empty string.", "invalidValue"),
    ]
    for body, detail, scim_type in cases:
        response = scim.patch(f"/Users/{uid}", body)
        assert response.status_code == 400, body
        assert scim_body(response) == error(400, detail, scim_type), body


# --- paths ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path,detail,scim_type", [
    ("roles", "'roles' is not an attribute we support.", "invalidPath"),
    ('ims[type eq "work"].value', "'ims' is not an attribute we support.", "invalidPath"),
    ('addresses[type eq "work"].street', "addresses.street is not an attribute we support.",
     "invalidPath"),
    ("phoneNumbers.display", "phoneNumbers.display is not an attribute we support.",
     "invalidPath"),
    ("name.middleName", "name.middleName is not an attribute we support.", "invalidPath"),
    ("urn:example:ext:department", "'urn:example:ext:department' is not a schema we support.",
     "invalidPath"),
    ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:secretary",
     "'secretary' is not an attribute we support.", "invalidPath"),
    ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName",
     "manager.displayName is not an attribute we support.", "invalidPath"),
    ("id", "'id' is read-only.", "mutability"),
    ("meta", "'meta' is read-only.", "mutability"),
    ("groups", "groups is read-only.", "mutability"),
    ('emails[type sw "w"].value',
     "Only 'attribute eq \"value\"' filters are supported in paths, not 'type sw \"w\"'.",
     "invalidFilter"),
    ("emails[type eq \"work\"", "Unbalanced brackets in 'emails[type eq \"work\"'.",
     "invalidPath"),
    ("active[value eq \"x\"]", "active is not multi-valued.", "invalidPath"),
    ("na me", "'na me' is not a valid path.", "invalidPath"),
])
def test_bad_patch_paths(scim, uid, path, detail, scim_type):
    response = scim.patch(f"/Users/{uid}", _ops({"op": "replace", "path": path, "value": "x"}))
    assert response.status_code == 400
    assert scim_body(response) == error(400, detail, scim_type)


def test_no_path_replace_with_a_foreign_id_is_mutability(scim, gid):
    response = scim.patch(f"/Groups/{gid}", _ops(
        {"op": "replace", "value": {"id": MISSING, "displayName": "X"}}
    ))
    assert response.status_code == 400
    assert scim_body(response) == error(400, "id is read-only.", "mutability")


def test_put_with_another_id_is_mutability(scim, uid, gid):
    response = scim.put(f"/Users/{uid}", {"id": MISSING, "userName": "jane@example.com"})
    assert scim_body(response) == error(400, "id is read-only.", "mutability")
    response = scim.put(f"/Groups/{gid}", {"id": MISSING, "displayName": "Eng"})
    assert scim_body(response) == error(400, "id is read-only.", "mutability")


# --- filters -------------------------------------------------------------------------------


@pytest.mark.parametrize("text,detail", [
    ("userName eq", "The filter 'userName eq' is not a valid SCIM filter."),
    ('userName zz "x"', "The filter 'userName zz \"x\"' is not a valid SCIM filter."),
    ("((", "The filter '((' is not a valid SCIM filter."),
    ('nickName eq "x"', "Filtering on 'nickname' is not supported."),
    ('title pr', "Filtering on 'title' is not supported."),
    ('active co "t"', "The operator 'co' does not apply to booleans."),
    ('active eq "yes"', "'yes' is not a boolean."),
    ('active gt true', "Booleans cannot be ordered."),
    ('urn:example:User:userName eq "x"',
     "Filtering on urn:example:User attributes is not supported."),
    ('phoneNumbers[type eq "work"].value eq "x"',
     "Attribute filters inside a path are not supported."),
    ('emails[display eq "x"]', "Filtering on 'emails.display' is not supported."),
])
def test_bad_filters(scim, text, detail):
    from urllib.parse import quote

    response = scim.get(f"/Users?filter={quote(text)}")
    assert response.status_code == 400
    assert scim_body(response) == error(400, detail, "invalidFilter")


def test_too_long_filter(scim):
    response = scim.get("/Users?filter=" + "userName%20pr%20or%20" * 100 + "userName%20pr")
    assert scim_body(response) == error(400, "The filter is too long.", "invalidFilter")


def test_bad_group_filter(scim):
    response = scim.get('/Groups?filter=members%5Bdisplay%20eq%20%22x%22%5D')
    assert scim_body(response) == error(400, "Filtering on 'members.display' is not supported.",
                                        "invalidFilter")
    response = scim.get('/Groups?filter=members%20gt%20%22x%22')
    assert scim_body(response) == error(400, "The operator 'gt' does not apply to ids.",
                                        "invalidFilter")


@pytest.mark.parametrize("query,detail", [
    ("count=ten", "count must be an integer."),
    ("startIndex=one", "startIndex must be an integer."),
    ("attributes=userName&excludedAttributes=emails",
     "Use either attributes or excludedAttributes, not both."),
])
def test_bad_list_parameters(scim, query, detail):
    response = scim.get(f"/Users?{query}")
    assert response.status_code == 400
    assert scim_body(response) == error(400, detail, "invalidValue")


# --- ids, methods, conflicts ---------------------------------------------------------------


@pytest.mark.parametrize("resource", ["Users", "Groups"])
@pytest.mark.parametrize("rid", [MISSING, "not-a-uuid", "1"])
def test_wrong_id_is_404_for_every_verb(scim, resource, rid):
    kind = resource[:-1]
    for method, args in (("get", ()), ("put", ({"userName": "a@b.co", "displayName": "x"},)),
                         ("patch", (_ops({"op": "replace", "value": {"active": True}}),)),
                         ("delete", ())):
        response = getattr(scim, method)(f"/{resource}/{rid}", *args)
        assert response.status_code == 404, method
        assert scim_body(response) == error(404, f"{kind} {rid} not found.")


def test_post_on_a_resource_and_put_on_the_collection_are_405(scim, uid):
    response = scim.post(f"/Users/{uid}", {})
    assert response.status_code == 405
    assert scim_body(response) == error(405, "POST is only allowed on the collection.")
    for method in ("put", "patch"):
        response = getattr(scim, method)("/Users", {})
        assert response.status_code == 405
        assert scim_body(response) == error(405, f"{method.upper()} needs a resource id.")
    response = scim.delete("/Groups")
    assert scim_body(response) == error(405, "DELETE needs a resource id.")


def test_duplicate_user_name_is_409_uniqueness(scim, org, uid):
    response = scim.post("/Users", {"userName": "JANE@example.com"})
    assert response.status_code == 409
    assert scim_body(response) == error(
        409, "userName 'JANE@example.com' is already used in Acme.", "uniqueness"
    )
    other = scim_body(scim.post("/Users", {"userName": "john@example.com"}))["id"]
    response = scim.patch(f"/Users/{other}", _ops(
        {"op": "replace", "path": "userName", "value": "Jane@Example.com"}
    ))
    assert response.status_code == 409
    assert scim_body(response) == error(
        409, "userName 'Jane@Example.com' is already used in Acme.", "uniqueness"
    )


def test_duplicate_group_name_is_409_uniqueness(scim, gid):
    response = scim.post("/Groups", {"displayName": "ENG"})
    assert response.status_code == 409
    assert scim_body(response) == error(409, "A group named 'ENG' already exists in Acme.",
                                        "uniqueness")
    other = scim_body(scim.post("/Groups", {"displayName": "Ops"}))["id"]
    response = scim.put(f"/Groups/{other}", {"displayName": "eng"})
    assert scim_body(response) == error(409, "A group named 'eng' already exists in Acme.",
                                        "uniqueness")


def test_removing_the_last_active_admin_is_refused(scim, org):
    admin = AdminMembershipFactory(organization=org)
    response = scim.delete(f"/Users/{admin.pk}")
    assert response.status_code == 409
    assert scim_body(response) == error(
        409, f"Cannot remove {admin.user.email}: they are the last active admin of Acme."
    )
    assert Membership.objects.filter(pk=admin.pk).exists()


def test_member_from_another_org_is_400_and_not_added(scim, gid, other_org):
    stranger = MembershipFactory(organization=other_org)
    for body in (
        _ops({"op": "add", "path": "members", "value": [{"value": str(stranger.pk)}]}),
        _ops({"op": "replace", "path": "members", "value": [{"value": str(stranger.pk)}]}),
    ):
        response = scim.patch(f"/Groups/{gid}", body)
        assert response.status_code == 400
        assert scim_body(response) == error(
            400, "Members must be users of this organization.", "invalidValue"
        )
    response = scim.put(f"/Groups/{gid}", {"displayName": "Eng",
                                           "members": [{"value": str(stranger.pk)}]})
    assert response.status_code == 400
    response = scim.post("/Groups", {"displayName": "New",
                                     "members": [{"value": str(stranger.pk)}]})
    assert response.status_code == 400
    assert scim_body(scim.get(f"/Groups/{gid}"))["members"] == []
    assert scim_body(scim.get("/Groups"))["totalResults"] == 1
    assert not GroupFactory._meta.model.objects.filter(display_name="New").exists()


def test_oversized_body_is_413(scim, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = scim.post("/Users", {"userName": "a@example.com", "displayName": "x" * 2000})
    assert response.status_code == 413
    assert scim_body(response) == error(413, "The request body is too large.")


def test_errors_never_leak_internals(scim, uid):
    """Across the bad inputs above, bodies carry only the RFC 7644 keys and no trace."""
    responses = [
        scim.post("/Users", raw="{"),
        scim.get("/Users?filter=%28%28"),
        scim.patch(f"/Users/{uid}", {"Operations": [{"op": "x"}]}),
        scim.get("/Users/zzz"),
    ]
    for response in responses:
        body = scim_body(response)
        assert set(body) <= {"schemas", "status", "scimType", "detail"}
        text = response.content.decode()
        assert "Traceback" not in text and "django" not in text.lower()
        assert "SELECT" not in text and ".py" not in text


def test_absurdly_nested_json_is_invalid_syntax(scim):
    response = scim.post("/Users", raw="[" * 100000 + "]" * 100000)
    assert response.status_code == 400
    assert scim_body(response) == error(400, "The request body is not valid JSON.",
                                        "invalidSyntax")

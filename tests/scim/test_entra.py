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
    assert membership.given_name == "Alexander"
    # The IdP's primary email is the address the org knows the member by; no account is
    # linked until the person signs in.
    assert (membership.email, membership.user) == ("alex@contoso.example", None)

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
    assert not User.objects.exists()  # never signed in: there was no account to keep
    assert scim_body(entra.get(f"/Groups/{gid}"))["members"] == []


def test_compliance_mode_flag_on_the_base_url_is_accepted(entra):
    """Entra's ?aadOptscim062020 rides on every request URL; it changes nothing for us."""
    response = entra.get("/Users?aadOptscim062020&filter=userName%20eq%20%22x%40y.z%22")
    assert scim_body(response) == list_response([])
    uid = scim_body(entra.post("/Users?aadOptscim062020", ENTRA_USER))["id"]
    response = entra.patch(f"/Users/{uid}?aadOptscim062020", _patch(
        {"op": "replace", "value": {"active": False}}))
    assert scim_body(response)["active"] is False


# --- Entra's default attribute mappings (non-gallery app) ----------------------------------
# userPrincipalName → userName, Switch([IsSoftDeleted]) → active, displayName, surname,
# givenName, Join → name.formatted, mail → emails[type eq "work"].value, mailNickname →
# externalId, jobTitle → title, preferredLanguage, physicalDeliveryOfficeName, streetAddress,
# city, state, postalCode, country → addresses[type eq "work"].*, telephoneNumber, mobile,
# facsimileTelephoneNumber → phoneNumbers[type eq "work"|"mobile"|"fax"].value, employeeId →
# enterprise employeeNumber, department, manager → enterprise manager.

ADDRESS = {
    "type": "work", "formatted": "Building 4, Room 101", "streetAddress": "1 Contoso Way",
    "locality": "Redmond", "region": "WA", "postalCode": "98052", "country": "US",
    "primary": False,
}
PHONES = [
    {"type": "work", "value": "+1 425 555 0109", "primary": True},
    {"type": "mobile", "value": "+1 425 555 0110"},
    {"type": "fax", "value": "+1 425 555 0111"},
]


def entra_default_user(manager_id: str) -> dict:
    """Entra's POST /Users with every default mapping filled, as its provisioning logs show
    it: nulls for attributes the source user lacks, an empty roles list, a meta stub."""
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "externalId": "AlexW",
        "userName": "AlexW@contoso.example",
        "active": True,
        "addresses": [ADDRESS],
        "displayName": "Alex Wilber",
        "emails": [{"primary": True, "type": "work", "value": "AlexW@contoso.example"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Alex Wilber", "familyName": "Wilber", "givenName": "Alex"},
        "phoneNumbers": PHONES,
        "preferredLanguage": "en-US",
        "title": "Retail Manager",
        "nickName": None,
        "userType": None,
        ENTERPRISE: {"employeeNumber": "1001", "department": "Retail",
                     "manager": {"value": manager_id}},
        "roles": [],
    }


def expected_default(uid: str, manager_id: str, **changes) -> dict:
    user = {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "id": uid,
        "externalId": "AlexW",
        "userName": "AlexW@contoso.example",
        "name": {"formatted": "Alex Wilber", "familyName": "Wilber", "givenName": "Alex"},
        "displayName": "Alex Wilber",
        "title": "Retail Manager",
        "preferredLanguage": "en-US",
        "emails": [{"primary": True, "type": "work", "value": "AlexW@contoso.example"}],
        "phoneNumbers": PHONES,
        "addresses": [ADDRESS],
        "active": True,
        "groups": [],
        ENTERPRISE: {"employeeNumber": "1001", "department": "Retail",
                     "manager": {"value": manager_id}},
        "meta": meta("User", uid),
    }
    user.update(changes)
    return user


@pytest.fixture
def manager_id(entra) -> str:
    return scim_body(entra.post("/Users", {
        **ENTRA_USER, "userName": "Megan@contoso.example", "externalId": "MeganB",
        "emails": [{"primary": True, "type": "work", "value": "Megan@contoso.example"}],
    }))["id"]


def test_default_mappings_create_then_read_back(entra, manager_id):
    response = entra.post("/Users", entra_default_user(manager_id))
    assert response.status_code == 201
    uid = scim_body(response)["id"]
    assert scim_body(response) == expected_default(uid, manager_id)
    assert scim_body(entra.get(f"/Users/{uid}")) == expected_default(uid, manager_id)
    listed = scim_body(entra.get('/Users?filter=userName%20eq%20%22alexw%40contoso.example%22'))
    assert listed == list_response([expected_default(uid, manager_id)])
    # Stored through the profile service, and audited like every other profile change.
    from scim.models import ScimUserProfile

    stored = ScimUserProfile.objects.get(membership_id=uid).attributes
    assert stored["phoneNumbers"] == PHONES and stored["addresses"] == [ADDRESS]
    assert stored["title"] == "Retail Manager"


def test_default_mappings_update_patches(entra, manager_id):
    """Entra's incremental-cycle PATCH for changed source attributes: capitalised ops,
    filtered paths with a sub-attribute, the manager as a bare id."""
    uid = scim_body(entra.post("/Users", entra_default_user(manager_id)))["id"]
    new_manager = scim_body(entra.post("/Users", {
        **ENTRA_USER, "userName": "Nestor@contoso.example", "externalId": "NestorW",
        "emails": [{"primary": True, "type": "work", "value": "Nestor@contoso.example"}],
    }))["id"]
    response = entra.patch(f"/Users/{uid}", _patch(
        {"op": "Replace", "path": "title", "value": "Store Director"},
        {"op": "Replace", "path": "preferredLanguage", "value": "fr-CA"},
        {"op": "Replace", "path": 'addresses[type eq "work"].streetAddress',
         "value": "2 Contoso Plaza"},
        {"op": "Replace", "path": 'addresses[type eq "work"].locality', "value": "Montréal"},
        {"op": "Replace", "path": 'addresses[type eq "work"].region', "value": "QC"},
        {"op": "Replace", "path": 'addresses[type eq "work"].postalCode', "value": "H2X 1Y4"},
        {"op": "Replace", "path": 'addresses[type eq "work"].country', "value": "CA"},
        {"op": "Replace", "path": 'addresses[type eq "work"].formatted', "value": "Tower B"},
        {"op": "Replace", "path": 'phoneNumbers[type eq "work"].value', "value": "+1 514 555 0100"},
        {"op": "Replace", "path": 'phoneNumbers[type eq "mobile"].value',
         "value": "+1 514 555 0101"},
        {"op": "Remove", "path": 'phoneNumbers[type eq "fax"].value'},
        {"op": "Replace", "path": f"{ENTERPRISE}:employeeNumber", "value": "2002"},
        {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": new_manager},
    ))
    assert response.status_code == 200
    updated = expected_default(
        uid, new_manager, title="Store Director", preferredLanguage="fr-CA",
        addresses=[{**ADDRESS, "streetAddress": "2 Contoso Plaza", "locality": "Montréal",
                    "region": "QC", "postalCode": "H2X 1Y4", "country": "CA",
                    "formatted": "Tower B"}],
        phoneNumbers=[{"type": "work", "value": "+1 514 555 0100", "primary": True},
                      {"type": "mobile", "value": "+1 514 555 0101"}],
        **{ENTERPRISE: {"employeeNumber": "2002", "department": "Retail",
                        "manager": {"value": new_manager}}},
    )
    assert scim_body(response) == updated
    assert scim_body(entra.get(f"/Users/{uid}")) == updated

    # Source attributes cleared in Entra: Remove ops; the manager removed by its path.
    response = entra.patch(f"/Users/{uid}", _patch(
        {"op": "Remove", "path": "title"},
        {"op": "Remove", "path": 'phoneNumbers[type eq "mobile"]'},
        {"op": "Remove", "path": f"{ENTERPRISE}:manager"},
        {"op": "Remove", "path": "addresses"},
    ))
    assert response.status_code == 200
    cleared = {k: v for k, v in updated.items() if k not in ("title", "addresses")}
    cleared["phoneNumbers"] = [{"type": "work", "value": "+1 514 555 0100", "primary": True}]
    cleared[ENTERPRISE] = {"employeeNumber": "2002", "department": "Retail"}
    assert scim_body(response) == cleared


def test_default_mappings_on_a_user_without_them(entra):
    """A first value for a filtered path creates the item of that type (Entra sends Add or
    Replace with the filter even when the user has no phone or address yet)."""
    uid = scim_body(entra.post("/Users", ENTRA_USER))["id"]
    response = entra.patch(f"/Users/{uid}", _patch(
        {"op": "Add", "path": 'phoneNumbers[type eq "mobile"].value', "value": "+1 555 0100"},
        {"op": "Add", "path": 'addresses[type eq "work"].postalCode', "value": "98052"},
        {"op": "Add", "path": 'addresses[type eq "work"].country', "value": "US"},
        {"op": "Add", "path": "title", "value": "Engineer"},
        {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": {"value": "m-1"}},
    ))
    assert response.status_code == 200
    assert scim_body(response) == expected(
        uid, title="Engineer",
        phoneNumbers=[{"type": "mobile", "value": "+1 555 0100"}],
        addresses=[{"type": "work", "postalCode": "98052", "country": "US"}],
        **{ENTERPRISE: {"department": "Retail", "manager": {"value": "m-1"}}},
    )


def test_default_mappings_in_compliance_mode(entra, manager_id):
    """With ?aadOptscim062020 Entra folds single-valued changes into one no-path replace whose
    keys are attribute paths, filtered ones included."""
    uid = scim_body(entra.post("/Users?aadOptscim062020", entra_default_user(manager_id)))["id"]
    response = entra.patch(f"/Users/{uid}?aadOptscim062020", _patch(
        {"op": "replace", "path": 'phoneNumbers[type eq "fax"].value', "value": "+1 425 555 0199"},
        {"op": "replace", "value": {
            "title": "Buyer",
            "preferredLanguage": "de-DE",
            "addresses[type eq \"work\"].locality": "Berlin",
            "phoneNumbers[type eq \"mobile\"].value": "+49 30 555 0100",
            f"{ENTERPRISE}:department": "Purchasing",
            f"{ENTERPRISE}:manager": manager_id,
        }},
        {"op": "add", "value": {"nickName": "Babs", "userType": "Employee",
                                "locale": "de-DE", "timezone": "Europe/Berlin",
                                "profileUrl": "https://contoso.example/alexw"}},
    ))
    assert response.status_code == 200
    assert scim_body(response) == expected_default(
        uid, manager_id, title="Buyer", preferredLanguage="de-DE", nickName="Babs",
        userType="Employee", locale="de-DE", timezone="Europe/Berlin",
        profileUrl="https://contoso.example/alexw",
        addresses=[{**ADDRESS, "locality": "Berlin"}],
        phoneNumbers=[PHONES[0], {"type": "mobile", "value": "+49 30 555 0100"},
                      {"type": "fax", "value": "+1 425 555 0199"}],
        **{ENTERPRISE: {"employeeNumber": "1001", "department": "Purchasing",
                        "manager": {"value": manager_id}}},
    )


def test_put_replaces_the_default_mappings(entra, manager_id):
    """A PUT is the whole resource: what it leaves out of these IdP-only attributes is
    cleared, what it sends is kept as sent."""
    uid = scim_body(entra.post("/Users", entra_default_user(manager_id)))["id"]
    body = {**entra_default_user(manager_id), "title": None, "addresses": None,
            "phoneNumbers": [{"type": "mobile", "value": "+1 425 555 0110"}]}
    del body["preferredLanguage"]
    response = entra.put(f"/Users/{uid}", body)
    assert response.status_code == 200
    want = expected_default(uid, manager_id,
                            phoneNumbers=[{"type": "mobile", "value": "+1 425 555 0110"}])
    for key in ("title", "addresses", "preferredLanguage"):
        del want[key]
    assert scim_body(response) == want


@pytest.mark.parametrize("operation,detail,scim_type", [
    ({"op": "Replace", "path": "roles", "value": "x"},
     "'roles' is not an attribute we support.", "invalidPath"),
    ({"op": "Replace", "path": 'ims[type eq "work"].value', "value": "x"},
     "'ims' is not an attribute we support.", "invalidPath"),
    ({"op": "Replace", "path": 'addresses[type eq "work"].city', "value": "x"},
     "addresses.city is not an attribute we support.", "invalidPath"),
    ({"op": "Replace", "path": f"{ENTERPRISE}:manager.displayName", "value": "x"},
     "manager.displayName is not an attribute we support.", "invalidPath"),
    ({"op": "Replace", "value": {"title": "ok", "photos": []}},
     "'photos' is not an attribute we support.", "invalidPath"),
    ({"op": "Replace", "path": "groups", "value": []}, "groups is read-only.", "mutability"),
    ({"op": "Replace", "path": "title", "value": 5}, "title must be a string.", "invalidValue"),
    ({"op": "Replace", "path": "phoneNumbers", "value": "555"}, "phoneNumbers must be a list.",
     "invalidValue"),
    ({"op": "Replace", "path": 'addresses[type eq "work"].primary', "value": "maybe"},
     "addresses.primary must be a boolean.", "invalidValue"),
    ({"op": "Replace", "path": f"{ENTERPRISE}:manager", "value": 7},
     "manager must be an object.", "invalidValue"),
])
def test_unknown_and_read_only_attributes_are_still_refused(entra, operation, detail, scim_type):
    uid = scim_body(entra.post("/Users", ENTRA_USER))["id"]
    before = scim_body(entra.get(f"/Users/{uid}"))
    response = entra.patch(f"/Users/{uid}", _patch(
        {"op": "Replace", "path": "title", "value": "Changed"}, operation,
    ))
    assert response.status_code == 400
    assert scim_body(response) == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "400",
        "scimType": scim_type, "detail": detail,
    }
    assert scim_body(entra.get(f"/Users/{uid}")) == before  # nothing applied

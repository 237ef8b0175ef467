"""Filters run in the database, scoped to the token's organization, with the same answers on
SQLite and PostgreSQL; lists page with integer counts in a stable order."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.factories import GroupFactory, MembershipFactory, UserFactory
from tests.scim.conftest import GROUP_SCHEMA, scim_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(scim, other_org):
    """Four members of ``org`` (one added by hand, one deactivated) and a decoy elsewhere."""
    def create(user_name, given, family, external_id, display=None, active=True):
        body = {"userName": user_name, "name": {"givenName": given, "familyName": family},
                "externalId": external_id, "active": active}
        if display:
            body["displayName"] = display
        return scim_body(scim.post("/Users", body))["id"]

    ids = {
        "ann": create("Ann.Lee@Example.com", "Ann", "Lee", "00uA", "Ann Lee"),
        "bob": create("bob@example.com", "Bob", "Stone", "00uB"),
        "cid": create("cid@corp.example", "Cid", "Lee", "00uC", "Cid", active=False),
    }
    from orgs.models import Organization
    org = Organization.objects.get(slug="acme")
    manual = MembershipFactory(
        organization=org, user=UserFactory(email="dee@example.com", first_name="Dee",
                                           last_name="Park"),
    )
    ids["dee"] = str(manual.pk)
    MembershipFactory(organization=other_org, user=UserFactory(
        email="ann.lee@globex.example", first_name="Ann", last_name="Lee"))
    return ids


def _ids(scim, text: str, resource: str = "Users") -> set[str]:
    response = scim.get(f"/{resource}?filter={quote(text)}")
    assert response.status_code == 200, scim_body(response)
    body = scim_body(response)
    assert body["totalResults"] == len(body["Resources"])
    return {r["id"] for r in body["Resources"]}


CASES = [
    ('userName eq "ann.lee@example.com"', {"ann"}),
    ('userName eq "ANN.LEE@EXAMPLE.COM"', {"ann"}),
    ('userName eq "dee@example.com"', {"dee"}),  # added by hand: userName is the email
    ('userName ne "ann.lee@example.com"', {"bob", "cid", "dee"}),
    ('userName co "EXAMPLE"', {"ann", "bob", "cid", "dee"}),
    ('userName sw "B"', {"bob"}),
    ('userName ew ".COM"', {"ann", "bob", "dee"}),
    ('userName pr', {"ann", "bob", "cid", "dee"}),
    ('userName gt "c"', {"cid", "dee"}),
    ('userName ge "Cid@corp.example"', {"cid", "dee"}),
    ('userName lt "B"', {"ann"}),
    ('userName le "bob@example.com"', {"ann", "bob"}),
    ('emails.value eq "BOB@example.com"', {"bob"}),
    ('emails co "corp"', {"cid"}),
    ('externalId eq "00uA"', {"ann"}),
    ('externalId eq "00ua"', set()),  # externalId is case-exact
    ('externalId pr', {"ann", "bob", "cid"}),
    # case-exact on both databases (SQLite's LIKE ignores case, so no LIKE for these)
    ('externalId co "ua"', set()),
    ('externalId co "uA"', {"ann"}),
    ('externalId co "u"', {"ann", "bob", "cid"}),
    ('externalId sw "00ub"', set()),
    ('externalId sw "00uB"', {"bob"}),
    ('externalId ew "c"', set()),
    ('externalId ew "C"', {"cid"}),
    ('externalId co "%"', set()),
    ('externalId sw "_"', set()),
    ('not (externalId sw "00uA")', {"bob", "cid", "dee"}),
    ('name.givenName eq "ann"', {"ann"}),
    ('name.familyName eq "lee"', {"ann", "cid"}),
    ('name.familyName sw "St"', {"bob"}),
    ('active eq true', {"ann", "bob", "dee"}),
    ('active eq false', {"cid"}),
    ('displayName eq "ann lee"', {"ann"}),
    ('displayName pr', {"ann", "cid"}),
    ('not (displayName pr)', {"bob", "dee"}),
    ('displayName ne "Cid"', {"ann", "bob", "dee"}),
    ('name.familyName eq "Lee" and active eq true', {"ann"}),
    ('userName sw "bob" or externalId eq "00uC"', {"bob", "cid"}),
    ('not (userName co "example.com")', {"cid"}),
    ('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bob@example.com"', {"bob"}),
    ('emails[value co "corp"]', {"cid"}),
    ('userName eq "nobody@example.com"', set()),
]


@pytest.mark.parametrize("text,expected", CASES, ids=[c[0] for c in CASES])
def test_user_filters(scim, people, text, expected):
    assert _ids(scim, text) == {people[name] for name in expected}


def test_group_filters(scim, org, other_org):
    eng = scim_body(scim.post("/Groups", {"displayName": "Engineering", "externalId": "g1"}))
    ops = scim_body(scim.post("/Groups", {"displayName": "Ops"}))
    GroupFactory(organization=other_org, display_name="Engineering")
    assert _ids(scim, 'displayName eq "engineering"', "Groups") == {eng["id"]}
    assert _ids(scim, 'displayName sw "O"', "Groups") == {ops["id"]}
    assert _ids(scim, 'displayName co "ine"', "Groups") == {eng["id"]}
    assert _ids(scim, 'externalId eq "g1"', "Groups") == {eng["id"]}
    assert _ids(scim, 'externalId pr', "Groups") == {eng["id"]}
    assert _ids(scim, 'externalId sw "G"', "Groups") == set()
    assert _ids(scim, 'externalId co "g"', "Groups") == {eng["id"]}
    assert _ids(scim, 'not (externalId pr)', "Groups") == {ops["id"]}
    assert _ids(scim, 'displayName gt "F"', "Groups") == {ops["id"]}


def test_pagination_is_stable_and_counts_are_integers(scim, org):
    ids = [scim_body(scim.post("/Users", {"userName": f"u{i}@example.com"}))["id"]
           for i in range(7)]
    seen = []
    for start in (1, 4, 7):
        body = scim_body(scim.get(f"/Users?startIndex={start}&count=3"))
        assert body["totalResults"] == 7 and body["startIndex"] == start
        assert isinstance(body["itemsPerPage"], int)
        seen += [r["id"] for r in body["Resources"]]
    assert seen == ids
    beyond = scim_body(scim.get("/Users?startIndex=50&count=3"))
    assert (beyond["totalResults"], beyond["itemsPerPage"], beyond["Resources"]) == (7, 0, [])
    zero = scim_body(scim.get("/Users?count=0"))
    assert (zero["totalResults"], zero["itemsPerPage"], zero["Resources"]) == (7, 0, [])
    # Out-of-range values are clamped as RFC 7644 §3.4.2.4 says, not refused.
    assert scim_body(scim.get("/Users?startIndex=0&count=2"))["startIndex"] == 1
    assert scim_body(scim.get("/Users?count=-5"))["itemsPerPage"] == 0


def test_count_is_capped_at_max_results(scim, org, settings):
    settings.SCIM_MAX_RESULTS = 3
    for i in range(5):
        MembershipFactory(organization=org)
    body = scim_body(scim.get("/Users?count=1000"))
    assert (body["totalResults"], body["itemsPerPage"]) == (5, 3)
    assert scim_body(scim.get("/Users"))["itemsPerPage"] == 3
    spc = scim_body(scim.get("/ServiceProviderConfig"))
    assert spc["filter"] == {"supported": True, "maxResults": 3}


def test_attributes_and_excluded_attributes(scim):
    uid = scim_body(scim.post("/Users", {
        "userName": "ann@example.com", "name": {"givenName": "Ann", "familyName": "Lee"},
    }))["id"]
    body = scim_body(scim.get(f"/Users/{uid}?attributes=userName,name.givenName"))
    assert set(body) == {"schemas", "id", "meta", "userName", "name"}
    assert body["name"] == {"givenName": "Ann"}
    body = scim_body(scim.get(f"/Users/{uid}?excludedAttributes=groups,emails,name.familyName"))
    assert "groups" not in body and "emails" not in body
    assert body["name"] == {"givenName": "Ann"}
    listed = scim_body(scim.get(
        "/Users?attributes=urn:ietf:params:scim:schemas:core:2.0:User:userName"
    ))["Resources"]
    assert listed == [{"schemas": listed[0]["schemas"], "id": uid, "meta": listed[0]["meta"],
                       "userName": "ann@example.com"}]
    gid = scim_body(scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "G",
                                          "members": [{"value": uid}]}))["id"]
    assert "members" not in scim_body(scim.get(f"/Groups/{gid}?excludedAttributes=members"))
    assert "members" in scim_body(scim.get(f"/Groups/{gid}?attributes=members"))
    assert "members" not in scim_body(scim.get(f"/Groups/{gid}?attributes=displayName"))


def test_search_endpoint(scim):
    scim_body(scim.post("/Users", {"userName": "ann@example.com"}))
    bob = scim_body(scim.post("/Users", {"userName": "bob@example.com"}))["id"]
    response = scim.post("/Users/.search", {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": 'userName sw "b"', "attributes": ["userName"], "startIndex": 1, "count": 10,
    })
    assert response.status_code == 200
    body = scim_body(response)
    assert [(r["id"], r["userName"]) for r in body["Resources"]] == [(bob, "bob@example.com")]
    assert "emails" not in body["Resources"][0]


def test_root_search_spans_users_then_groups(scim):
    ann = scim_body(scim.post("/Users", {"userName": "ann@example.com"}))["id"]
    eng = scim_body(scim.post("/Groups", {"displayName": "Eng"}))["id"]
    ops = scim_body(scim.post("/Groups", {"displayName": "Ops"}))["id"]
    search = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
    body = scim_body(scim.post("/.search", {"schemas": [search], "count": 2}))
    assert (body["totalResults"], body["itemsPerPage"]) == (3, 2)
    assert [r["id"] for r in body["Resources"]] == [ann, eng]
    body = scim_body(scim.post("/.search", {"schemas": [search], "startIndex": 2}))
    assert [r["id"] for r in body["Resources"]] == [eng, ops]
    # An attribute only Groups have: Users simply do not match.
    body = scim_body(scim.post("/.search", {"filter": 'displayName eq "ops"',
                                            "attributes": ["displayName"]}))
    assert body["Resources"] == [{"schemas": [GROUP_SCHEMA], "id": ops,
                                  "displayName": "Ops", "meta": body["Resources"][0]["meta"]}]
    body = scim_body(scim.post("/.search", {"filter": 'userName sw "a"'}))
    assert [r["id"] for r in body["Resources"]] == [ann]
    response = scim.post("/.search", {"filter": 'nickName eq "x"'})
    assert response.status_code == 400
    assert scim_body(response)["scimType"] == "invalidFilter"
    response = scim.get("/.search")
    assert response.status_code == 405


def test_attributes_select_sub_attributes_of_multi_valued_ones(scim):
    uid = scim_body(scim.post("/Users", {
        "userName": "ann@example.com", "name": {"givenName": "Ann", "familyName": "Lee"},
        "phoneNumbers": [{"type": "work", "value": "+1 555 0100"}, {"type": "fax"}],
    }))["id"]
    body = scim_body(scim.get(f"/Users/{uid}?attributes=phoneNumbers.value,emails.value,"
                              "name.familyName,name.givenName"))
    assert body == {"schemas": body["schemas"], "id": uid, "meta": body["meta"],
                    "phoneNumbers": [{"value": "+1 555 0100"}],
                    "emails": [{"value": "ann@example.com"}],
                    "name": {"givenName": "Ann", "familyName": "Lee"}}
    body = scim_body(scim.get(f"/Users/{uid}?attributes=name.givenName,name"))
    assert body["name"] == {"givenName": "Ann", "familyName": "Lee"}
    body = scim_body(scim.get(f"/Users/{uid}?excludedAttributes=phoneNumbers.type,emails.type"))
    assert body["phoneNumbers"] == [{"value": "+1 555 0100"}, {}]
    assert body["emails"] == [{"value": "ann@example.com", "primary": True}]


def test_excluding_an_attribute_and_its_sub_attribute_together(scim):
    """excludedAttributes=name,name.givenName was a KeyError (500) once name was gone."""
    uid = scim_body(scim.post("/Users", {
        "userName": "ann@example.com", "name": {"givenName": "Ann", "familyName": "Lee"},
    }))["id"]
    response = scim.get(f"/Users/{uid}?excludedAttributes=name,name.givenName,title.x")
    assert response.status_code == 200
    assert "name" not in scim_body(response)


def test_non_ascii_values_find_their_own_text_on_both_databases(scim):
    """A filter value is lower-cased by the database, like the column: Python's str.lower()
    and SQLite's ASCII-only LOWER() disagree on "É", so "Émile" once missed "Émile"."""
    emile = scim_body(scim.post("/Users", {
        "userName": "Émile.Zoë", "externalId": "É1",
        "emails": [{"value": "emile@example.com", "primary": True}],
        "name": {"givenName": "Émile", "familyName": "Ñúñez_50%"}, "displayName": "Émile Ñ",
    }))["id"]
    scim.post("/Users", {"userName": "other@example.com",
                         "name": {"givenName": "Emile", "familyName": "Nunez"}})
    for text in ('name.givenName eq "Émile"', 'userName eq "Émile.Zoë"',
                 'name.familyName co "ñúñ"', 'name.familyName ew "_50%"',
                 'name.familyName sw "Ñú"', 'displayName eq "Émile Ñ"',
                 'externalId eq "É1"', 'externalId sw "É"',
                 'name.givenName gt "Emile"', 'name.familyName ge "Ñúñez_50%"'):
        assert _ids(scim, text) == {emile}, text
    assert _ids(scim, 'name.familyName co "%"') == {emile}
    assert _ids(scim, 'name.familyName co "_"') == {emile}


def test_filter_by_id_and_group_membership(scim, people, other_org):
    """Entra asks whether a group has a member with id eq … and members[value eq …]; id is
    also a common lookup. Only eq/ne (and pr) make sense on ids; a malformed id matches
    nothing, as an unknown one does."""
    ann, bob = people["ann"], people["bob"]
    assert _ids(scim, f'id eq "{ann}"') == {ann}
    assert _ids(scim, f'id ne "{ann}"') == {people[n] for n in ("bob", "cid", "dee")}
    assert _ids(scim, 'id eq "not-a-uuid"') == set()
    assert _ids(scim, f'id eq "{ann}" or id eq "{bob}"') == {ann, bob}
    eng = scim_body(scim.post("/Groups", {"displayName": "Eng", "members": [{"value": ann}]}))
    ops = scim_body(scim.post("/Groups", {"displayName": "Ops", "members": [{"value": bob}]}))
    GroupFactory(organization=other_org, display_name="Eng")
    for text, expected in (
        (f'id eq "{eng["id"]}" and members[value eq "{ann}"]', {eng["id"]}),
        (f'id eq "{eng["id"]}" and members[value eq "{bob}"]', set()),
        (f'members.value eq "{bob}"', {ops["id"]}),
        (f'members eq "{ann}"', {eng["id"]}),
        (f'not (members[value eq "{ann}"])', {ops["id"]}),
        ('members[value eq "x"]', set()),
        ("members pr", {eng["id"], ops["id"]}),
        ("id pr", {eng["id"], ops["id"]}),
        ("not (id pr)", set()),
    ):
        assert _ids(scim, text, "Groups") == expected, text
    response = scim.get(f'/Groups?filter={quote(f"id co {chr(34)}{ann[:4]}{chr(34)}")}')
    assert scim_body(response) == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "400",
        "scimType": "invalidFilter", "detail": "The operator 'co' does not apply to ids.",
    }

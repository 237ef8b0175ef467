"""Filters on ``emails``, a multi-valued attribute: Entra's ``emails[type eq "work"].value eq
"…"`` (sent when an admin picks email as the matching attribute), RFC 7644 valuePath filters
(``emails[type eq "work" and value co "@x"]``) and ``emails.<sub>``. They match the list GET
renders (the IdP's stored list, else the account email as the primary work address), in the
database, scoped to the token's organization, alike on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest

from orgs.models import Membership
from scim.models import ScimUserProfile
from tests.factories import MembershipFactory, UserFactory
from tests.scim.conftest import (
    LIST,
    PATCH_OP,
    USER_SCHEMA,
    error,
    list_response,
    meta,
    scim_body,
)
from tests.scim.test_entra import ENTRA_UA, ENTRA_USER, expected
from tests.scim.test_query_counts import SHORT_PAGE_QUERIES

pytestmark = pytest.mark.django_db

ENTRA_MATCH = 'emails[type eq "work"].value eq "{}"'


def _get(scim, text: str, resource: str = "Users"):
    return scim.get(f"/{resource}?filter={quote(text)}")


# --- Entra's matching-attribute lookup, exact JSON --------------------------------------------


@pytest.fixture
def entra(scim):
    scim.user_agent = ENTRA_UA
    scim.content_type = "application/scim+json"
    return scim


def test_entra_test_connection_with_the_email_filter_finds_nothing(entra):
    """Test Connection sends the matching attribute's filter with a random value."""
    response = _get(entra, ENTRA_MATCH.format(f"{uuid.uuid4()}@contoso.example"))
    assert response.status_code == 200
    assert scim_body(response) == {
        "schemas": [LIST], "totalResults": 0, "startIndex": 1, "itemsPerPage": 0,
        "Resources": [],
    }


def test_entra_email_lookup_hit_miss_and_case(entra, other_scim):
    uid = scim_body(entra.post("/Users", ENTRA_USER))["id"]
    # The same person provisioned into another organization: never found through our token.
    other = other_scim.post("/Users", {**ENTRA_USER, "externalId": "globex-1"})
    assert other.status_code == 201
    other_uid = scim_body(other)["id"]
    assert other_uid != uid

    for value in ("Alex.Wilber@contoso.example", "ALEX.WILBER@CONTOSO.EXAMPLE",
                  "alex.wilber@contoso.example"):
        response = _get(entra, ENTRA_MATCH.format(value))
        assert response.status_code == 200
        assert scim_body(response) == list_response([expected(uid)]), value
    assert scim_body(_get(entra, ENTRA_MATCH.format("alex@contoso.example"))) == list_response([])
    assert scim_body(_get(entra, 'emails[type eq "home"].value eq '
                                 '"alex.wilber@contoso.example"')) == list_response([])
    # And the other organization finds only its own member.
    listed = scim_body(_get(other_scim, ENTRA_MATCH.format("alex.wilber@contoso.example")))
    assert [r["id"] for r in listed["Resources"]] == [other_uid]


def test_entra_lookup_follows_an_email_the_idp_changed(entra):
    """After Entra PATCHes the work address, the filter finds the new one (what GET shows) and
    no longer the old one, although the account email (the login) stays."""
    uid = scim_body(entra.post("/Users", ENTRA_USER))["id"]
    entra.patch(f"/Users/{uid}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "alex@contoso.example"},
    ]})
    emails = [{"primary": True, "type": "work", "value": "alex@contoso.example"}]
    assert scim_body(entra.get(f"/Users/{uid}"))["emails"] == emails
    assert scim_body(_get(entra, ENTRA_MATCH.format("Alex@Contoso.example"))) == list_response(
        [expected(uid, emails=emails)]
    )
    assert scim_body(_get(entra, ENTRA_MATCH.format("alex.wilber@contoso.example"))) == (
        list_response([])
    )
    membership = Membership.objects.get(pk=uid)
    assert (membership.email, membership.user) == ("alex@contoso.example", None)


def test_okta_style_member_without_a_stored_list(scim):
    """Okta's create sends the account email as the primary work address: nothing is stored,
    GET renders the account email, and the filter matches it."""
    created = scim_body(scim.post("/Users", {
        "schemas": [USER_SCHEMA], "userName": "jane@example.com",
        "name": {"givenName": "Jane", "familyName": "Doe"},
        "emails": [{"primary": True, "value": "jane@example.com", "type": "work"}],
    }))
    assert not ScimUserProfile.objects.filter(attributes__has_key="emails").exists()
    uid = created["id"]
    response = _get(scim, 'emails[type eq "work"].value eq "JANE@example.com"')
    assert scim_body(response) == list_response([{
        "schemas": [USER_SCHEMA], "id": uid, "userName": "jane@example.com",
        "name": {"givenName": "Jane", "familyName": "Doe"},
        "emails": [{"value": "jane@example.com", "type": "work", "primary": True}],
        "active": True, "groups": [], "meta": meta("User", uid),
    }])


# --- the semantics, on a mixed population ------------------------------------------------------


@pytest.fixture
def people(scim, other_org):
    """ann: account email only; bob: an IdP list of two; cid: an IdP list without the account
    email; dee: added by hand (no SCIM profile); eve: an empty list (GET shows none); and, in
    another organization, members with the same addresses."""
    def create(body):
        response = scim.post("/Users", body)
        assert response.status_code == 201, response.content
        return scim_body(response)["id"]

    ids = {
        "ann": create({"userName": "ann@example.com"}),
        "bob": create({"userName": "bob", "emails": [
            {"value": "Bob@Work.example", "type": "work", "primary": True},
            {"value": "bob@home.example", "type": "home"},
        ]}),
        "cid": create({"userName": "cid@corp.example"}),
        "eve": create({"userName": "eve@example.com", "displayName": "Eve"}),
    }
    scim.put(f"/Users/{ids['cid']}", {"userName": "cid@corp.example", "emails": [
        {"value": "cid.new@corp.example", "type": "other"},
    ]})
    # An emptied list, as ScimUser._save_profile keeps it (GET then shows no emails).
    ScimUserProfile.objects.filter(membership_id=ids["eve"]).update(attributes={"emails": []})
    from orgs.models import Organization
    org = Organization.objects.get(slug="acme")
    ids["dee"] = str(MembershipFactory(
        organization=org, user=UserFactory(email="dee@example.com"),
    ).pk)
    for email in ("ann@example.com", "bob@work.example", "dee@example.com"):
        MembershipFactory(organization=other_org, user=UserFactory(email=f"x.{email}"))
    decoy = MembershipFactory(organization=other_org, user=UserFactory(email="zz@example.com"))
    ScimUserProfile.objects.create(membership=decoy, attributes={"emails": [
        {"value": "bob@home.example", "type": "home"},
        {"value": "cid.new@corp.example", "type": "other"},
    ]})

    # What GET renders, which the filters must agree with.
    def emails(name):
        return scim_body(scim.get(f"/Users/{ids[name]}")).get("emails")
    assert emails("ann") == [{"value": "ann@example.com", "type": "work", "primary": True}]
    assert emails("bob") == [{"value": "Bob@Work.example", "type": "work", "primary": True},
                             {"value": "bob@home.example", "type": "home"}]
    assert emails("cid") == [{"value": "cid.new@corp.example", "type": "other"}]
    assert emails("dee") == [{"value": "dee@example.com", "type": "work", "primary": True}]
    assert emails("eve") is None
    return ids


ALL = {"ann", "bob", "cid", "dee", "eve"}
CASES = [
    # Entra's form
    ('emails[type eq "work"].value eq "bob@work.example"', {"bob"}),
    ('emails[type eq "work"].value eq "BOB@HOME.EXAMPLE"', set()),
    ('emails[type eq "home"].value eq "BOB@HOME.EXAMPLE"', {"bob"}),
    ('emails[type eq "work"].value eq "dee@example.com"', {"dee"}),
    ('emails[type eq "work"].value co "@EXAMPLE.com"', {"ann", "dee"}),
    ('emails[type eq "work"].primary eq true', {"ann", "bob", "dee"}),
    ('emails[type eq "work"].value pr', {"ann", "bob", "dee"}),
    # valuePath filters
    ('emails[value eq "ann@example.com"]', {"ann"}),
    ('emails[value eq "cid@corp.example"]', set()),  # the account email GET no longer shows
    ('emails[value eq "cid.new@corp.example"]', {"cid"}),
    ('emails[type eq "work" and value co "@example.com"]', {"ann", "dee"}),
    ('emails[type eq "WORK"]', {"ann", "bob", "dee"}),
    ('emails[type eq "home" or type eq "other"]', {"bob", "cid"}),
    ('emails[type ne "work"]', {"bob", "cid"}),
    ('emails[primary eq true]', {"ann", "bob", "dee"}),
    ('emails[primary eq false]', {"bob", "cid"}),
    ('emails[primary ne true]', {"bob", "cid"}),
    ('emails[primary pr]', {"ann", "bob", "dee"}),
    ('emails[not (primary eq true)]', {"bob", "cid"}),
    ('not (emails[primary eq true])', {"cid", "eve"}),
    ('emails[type eq "work" and not (value sw "b")]', {"ann", "dee"}),
    ('emails[value sw "BOB@"]', {"bob"}),
    ('emails[value ew ".EXAMPLE"]', {"bob", "cid"}),
    ('emails[value co "%"]', set()),
    ('emails[value co "_"]', set()),
    ('emails[value sw ""]', {"ann", "bob", "cid", "dee"}),
    ('emails[type pr]', {"ann", "bob", "cid", "dee"}),
    ('emails[type eq "work" and primary eq true and value eq "bob@work.example"]', {"bob"}),
    ('emails[type eq "home" and primary eq true]', set()),  # both, but on different addresses
    # sub-attributes outside brackets: each compares any address on its own
    ('emails.type eq "home" and emails.primary eq true', {"bob"}),
    ('emails.type eq "other"', {"cid"}),
    ('emails.value eq "BOB@home.example"', {"bob"}),
    ('emails.value ne "ann@example.com"', {"bob", "cid", "dee"}),
    ('emails co "corp"', {"cid"}),
    ('emails pr', {"ann", "bob", "cid", "dee"}),
    ('not (emails pr)', {"eve"}),
    ('urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value eq '
     '"ann@example.com"', {"ann"}),
    # combined with the other attributes
    ('emails[type eq "work"].value eq "bob@work.example" and active eq true', {"bob"}),
    ('userName sw "a" or emails[type eq "home"]', {"ann", "bob"}),
    ('not (emails[type eq "work"]) and userName pr', {"cid", "eve"}),
]


@pytest.mark.parametrize("text,expected_names", CASES, ids=[c[0] for c in CASES])
def test_email_filters(scim, people, text, expected_names):
    response = _get(scim, text)
    assert response.status_code == 200, scim_body(response)
    body = scim_body(response)
    assert body["totalResults"] == len(body["Resources"])
    assert {r["id"] for r in body["Resources"]} == {people[n] for n in expected_names}


def test_odd_stored_lists_never_fail(scim, people):
    """Lists an IdP cannot write through our API (written here directly) still answer 200:
    non-object items, non-string values and a primary given as a string match nothing."""
    membership = Membership.objects.get(pk=people["ann"])
    for emails in (["x@example.com", 3, None, [1]],
                   [{"value": 5, "type": ["work"]}, {"value": "ann@example.com",
                                                     "primary": "true"}],
                   {"value": "ann@example.com"}, "ann@example.com", None):
        ScimUserProfile.objects.update_or_create(membership=membership,
                                                 defaults={"attributes": {"emails": emails}})
        ann = people["ann"]
        for text, expected_ann in (
            ('emails[value eq "x@example.com"]', False),
            ('emails[primary eq true]', False),
            ('emails[primary pr]', False),
            ('emails[type eq "work"].value eq "ann@example.com"', False),
            ('emails[value eq "ann@example.com"]', isinstance(emails, list) and len(emails) == 2),
            ('emails pr', isinstance(emails, list) and len(emails) == 2),
        ):
            response = _get(scim, text)
            assert response.status_code == 200, (emails, text)
            found = {r["id"] for r in scim_body(response)["Resources"]}
            assert (ann in found) is expected_ann, (emails, text)
        response = _get(scim, 'emails[value eq "bob@work.example"]')
        assert [r["id"] for r in scim_body(response)["Resources"]] == [people["bob"]]


def test_root_search_finds_users_by_email(scim, people):
    body = scim_body(scim.post("/.search", {
        "filter": ENTRA_MATCH.format("DEE@example.com"), "attributes": ["userName"],
    }))
    assert body == list_response([{"schemas": [USER_SCHEMA], "id": people["dee"],
                                   "userName": "dee@example.com",
                                   "meta": body["Resources"][0]["meta"]}])


@pytest.mark.usefixtures("cache_in_memory")
def test_an_email_filtered_page_costs_the_usual_queries(scim, people,
                                                         django_assert_num_queries):
    scim.get("/Users")
    with django_assert_num_queries(SHORT_PAGE_QUERIES):
        body = scim_body(_get(scim, 'emails[type eq "work" and value co "@"] or '
                                    'not (emails.primary eq true)'))
    assert body["totalResults"] == 5


@pytest.mark.parametrize("text,detail", [
    ('emails[display eq "x"]', "Filtering on 'emails.display' is not supported."),
    ('emails[type eq "work"].display eq "x"', "Filtering on 'emails.display' is not supported."),
    ('emails.display pr', "Filtering on 'emails.display' is not supported."),
    ('emails[value gt "a"]', "The operator 'gt' is not supported on emails."),
    ('emails.value le "a"', "The operator 'le' is not supported on emails."),
    ('emails[type eq "work"].value ge "a"', "The operator 'ge' is not supported on emails."),
    ('emails[primary co "t"]', "The operator 'co' does not apply to booleans."),
    ('emails[primary eq "yes"]', "'yes' is not a boolean."),
    ('emails[value.x eq "a"]', "Only sub-attributes of emails can be filtered inside its "
                               "brackets."),
    ('emails[urn:ietf:params:scim:schemas:core:2.0:User:value eq "a"]',
     "Only sub-attributes of emails can be filtered inside its brackets."),
    ('phoneNumbers[type eq "work"].value eq "x"',
     "Attribute filters inside a path are not supported."),
    ('phoneNumbers[type eq "work"]', "Filtering on 'phonenumbers.type' is not supported."),
    ('urn:example:User:emails[type eq "work"].value eq "x"',
     "Filtering on urn:example:User attributes is not supported."),
])
def test_unsupported_email_filters_are_invalid(scim, text, detail):
    response = _get(scim, text)
    assert response.status_code == 400
    assert scim_body(response) == error(400, detail, "invalidFilter")


def test_group_filters_do_not_take_the_emails_forms(scim):
    for text, detail in (
        ('emails[type eq "work"].value eq "x"',
         "Attribute filters inside a path are not supported."),
        ('members[value eq "x"].value eq "y"',
         "Attribute filters inside a path are not supported."),
        ('emails[type eq "work"]', "Filtering on 'emails.type' is not supported."),
    ):
        response = _get(scim, text, "Groups")
        assert scim_body(response) == error(400, detail, "invalidFilter"), text


# --- an oracle: the filter agrees with the emails GET renders, on many generated filters -------


def _text(element, sub):
    value = element.get(sub) if isinstance(element, dict) else None
    return value.lower() if isinstance(value, str) else ""


_TEXT_OPS = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "co": lambda a, b: b in a,
    "sw": lambda a, b: a.startswith(b), "ew": lambda a, b: a.endswith(b),
}


def _leaves():
    for sub, values in (("value", ("bob@work.example", "ANN@", ".example", "@", "x")),
                        ("type", ("work", "HOME", "o"))):
        for op, test in _TEXT_OPS.items():
            for v in values:
                yield (f'{sub} {op} "{v}"',
                       lambda e, s=sub, t=test, v=v: t(_text(e, s), v.lower()))
        yield f"{sub} pr", lambda e, s=sub: _text(e, s) != ""
    for v in (True, False):
        flag = "true" if v else "false"
        yield (f"primary eq {flag}",
               lambda e, v=v: (isinstance(e, dict) and e.get("primary") is True) is v)
        yield (f"primary ne {flag}",
               lambda e, v=v: (isinstance(e, dict) and e.get("primary") is True) is not v)
    yield "primary pr", lambda e: isinstance(e, dict) and isinstance(e.get("primary"), bool)


def _generated(count: int, seed: int = 7):
    import random

    rng = random.Random(seed)
    leaves = list(_leaves())

    def element(depth):
        roll = rng.random()
        if depth == 0 or roll < 0.4:
            return rng.choice(leaves)
        if roll < 0.55:
            text, pred = element(depth - 1)
            return f"not ({text})", lambda e, p=pred: not p(e)
        (lt, lp), (rt, rp) = element(depth - 1), element(depth - 1)
        if rng.random() < 0.5:
            return f"({lt}) and ({rt})", lambda e, a=lp, b=rp: a(e) and b(e)
        return f"({lt}) or ({rt})", lambda e, a=lp, b=rp: a(e) or b(e)

    def outer(depth):
        roll = rng.random()
        if depth == 0 or roll < 0.5:
            text, pred = element(2)
            form = rng.random()
            if form < 0.15 and " " in text and not text.startswith(("(", "not")):
                # the same leaf outside brackets: emails.<sub> op v
                return f"emails.{text}", lambda emails, p=pred: any(map(p, emails))
            if form < 0.3:  # Entra's form: emails[F].value eq "v"
                v = rng.choice(("ann@example.com", "BOB@WORK.EXAMPLE", "cid.new@corp.example"))
                return (f'emails[{text}].value eq "{v}"', lambda emails, p=pred, v=v: any(
                    p(e) and _text(e, "value") == v.lower() for e in emails))
            return f"emails[{text}]", lambda emails, p=pred: any(map(p, emails))
        if roll < 0.65:
            text, pred = outer(depth - 1)
            return f"not ({text})", lambda emails, p=pred: not p(emails)
        (lt, lp), (rt, rp) = outer(depth - 1), outer(depth - 1)
        op = rng.choice(("and", "or"))
        combine = (lambda a, b: a and b) if op == "and" else (lambda a, b: a or b)
        return f"({lt}) {op} ({rt})", lambda emails, a=lp, b=rp, c=combine: c(a(emails),
                                                                             b(emails))

    return [outer(2) for _ in range(count)]


def test_generated_filters_agree_with_what_get_renders(scim, people):
    rendered = {
        r["id"]: r.get("emails") or [] for r in scim_body(scim.get("/Users"))["Resources"]
    }
    assert set(rendered) == set(people.values())
    sizes = []
    for text, pred in _generated(150):
        if len(text) > 1000:
            continue
        response = _get(scim, text)
        assert response.status_code == 200, (text, scim_body(response))
        found = {r["id"] for r in scim_body(response)["Resources"]}
        assert found == {uid for uid, emails in rendered.items() if pred(emails)}, text
        sizes.append(len(found))
    # Not a trivial sample: most filters ran, answering with all sizes of result.
    assert len(sizes) > 100 and set(sizes) == {0, 1, 2, 3, 4, 5}, sorted(sizes)

"""The crashes issue 9 found: each answered 500 (or HTML) and now gets a 4xx SCIM error body,
the same on SQLite and PostgreSQL. One test per crash, named after what it was."""

from __future__ import annotations

import json

import pytest
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseServerError
from django.test import Client, RequestFactory

from orgs.models import AuditEvent, Group, Membership, Role, User
from scim.middleware import ScimErrorMiddleware
from scim.models import ScimUserProfile
from tests.factories import GroupRoleMappingFactory
from tests.scim.conftest import (
    ENTERPRISE,
    GROUP_SCHEMA,
    PATCH_OP,
    USER_SCHEMA,
    error,
    scim_body,
    wsgi_request,
)

pytestmark = pytest.mark.django_db

SEARCHES = ["/Users/.search", "/Groups/.search", "/.search"]
SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
SURROGATE = "\ud800"


def _world() -> tuple:
    """Everything a refused write must leave untouched."""
    return (
        list(Membership.objects.order_by("pk").values()),
        list(User.objects.order_by("pk").values()),
        list(ScimUserProfile.objects.order_by("pk").values()),
        list(Group.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    )


def _ops(*operations) -> dict:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


@pytest.fixture
def uid(scim) -> str:
    return scim_body(scim.post("/Users", {"userName": "jane@example.com"}))["id"]


@pytest.fixture
def gid(scim) -> str:
    return scim_body(scim.post("/Groups", {"displayName": "Eng"}))["id"]


# --- 1. count / startIndex that is no finite integer (was OverflowError) --------------------


@pytest.mark.parametrize("path", SEARCHES)
@pytest.mark.parametrize("key", ["count", "startIndex"])
@pytest.mark.parametrize("number", ["1e400", "-1e400", "1.5", '"1e400"', "[1]", "{}"])
def test_search_paging_that_is_no_finite_integer_is_invalid_value(scim, path, key, number):
    response = scim.post(path, raw=f'{{"{key}": {number}}}')
    assert response.status_code == 400
    assert scim_body(response) == error(400, f"{key} must be an integer.", "invalidValue")


@pytest.mark.parametrize("path", SEARCHES)
@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_search_paging_nan_and_infinity_are_not_json(scim, path, constant):
    """Python's json reads these; RFC 8259 has no such literals."""
    response = scim.post(path, raw=f'{{"count": {constant}}}')
    assert scim_body(response) == error(400, "The request body is not valid JSON.",
                                        "invalidSyntax")


@pytest.mark.parametrize("path,total", [("/Users/.search", 1), ("/Groups/.search", 1),
                                        ("/.search", 2)])
def test_search_paging_integral_numbers_are_read_and_clamped(scim, uid, gid, path, total):
    body = scim_body(scim.post(path, raw='{"count": 1e20, "startIndex": 1.0}'))
    assert (body["startIndex"], body["itemsPerPage"]) == (1, total)
    body = scim_body(scim.post(path, raw='{"count": 5, "startIndex": 1e300}'))
    assert (body["startIndex"], body["itemsPerPage"]) == (2**31, 0)
    body = scim_body(scim.post(path, {"count": -3, "startIndex": "-" + "9" * 5000}))
    assert (body["startIndex"], body["itemsPerPage"]) == (1, 0)  # RFC 7644: <1 is 1, <0 is 0


# --- 2. schemas of the wrong type in a SearchRequest (was TypeError) --------------------------


@pytest.mark.parametrize("path", SEARCHES)
@pytest.mark.parametrize("schemas", ["5", "true", "1.5", f'"{SEARCH_REQUEST}"', "{}",
                                     '["urn:x"]'])
def test_search_schemas_of_the_wrong_type_is_invalid_syntax(scim, path, schemas):
    response = scim.post(path, raw=f'{{"schemas": {schemas}}}')
    assert response.status_code == 400
    assert scim_body(response) == error(400, "The body must be a SearchRequest.",
                                        "invalidSyntax")


@pytest.mark.parametrize("path,body", [
    ("/Users", {"schemas": 5, "userName": "a@example.com"}),
    ("/Users", {"schemas": [USER_SCHEMA, 5], "userName": "a@example.com"}),
    ("/Groups", {"schemas": GROUP_SCHEMA, "displayName": "G"}),
])
def test_resource_schemas_of_the_wrong_type_is_invalid_syntax(scim, path, body):
    before = _world()
    response = scim.post(path, body)
    assert scim_body(response) == error(400, "schemas must be a list of schema URIs.",
                                        "invalidSyntax")
    assert _world() == before


# --- 3. more query parameters than DATA_UPLOAD_MAX_NUMBER_FIELDS (was TooManyFieldsSent) -----


@pytest.mark.parametrize("method,path", [
    ("GET", "/Users"), ("GET", "/Groups"), ("POST", "/Users/.search"), ("POST", "/.search"),
    ("POST", "/Users"), ("PATCH", "/Users/x"), ("DELETE", "/Groups/x"),
])
@pytest.mark.parametrize("content_type", ["", "application/scim+json; charset=utf-8"])
def test_too_many_query_parameters_is_a_scim_400(scim, method, path, content_type, settings):
    """Through the WSGI entry point: with a charset in Content-Type (as Okta sends it) Django
    parsed the query while building the request, before any middleware (``config.handlers``)."""
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000  # the default, kept
    headers = {"Authorization": f"Bearer {scim.token}", "Content-Type": content_type}
    body = json.dumps({"userName": "a@example.com"}).encode()
    response = wsgi_request(method, f"/scim/v2{path}", headers=headers, body=body,
                            query="&".join(f"p{i}={i}" for i in range(1001)))
    assert response.status_code == 400
    assert response["Content-Type"] == "application/scim+json"
    assert json.loads(response.content) == error(
        400, "At most 1000 query parameters are allowed.", "invalidValue")
    assert not Membership.objects.exists()
    response = wsgi_request("GET", "/scim/v2/Users", headers=headers,
                            query="&".join(f"p{i}={i}" for i in range(999)))
    assert response.status_code == 200  # the limit is kept, not lowered


def test_too_many_form_fields_outside_scim_stay_djangos_400(org_admin):
    query = "&".join(f"p{i}={i}" for i in range(1001))
    response = wsgi_request("GET", "/admin/login/", query=query,
                            headers={"Content-Type": "text/plain; charset=utf-8"})
    assert response.status_code == 400
    assert not response["Content-Type"].startswith("application/scim+json")


# --- 4. a lone surrogate in any stored string (was UnicodeEncodeError) -----------------------


def _user(**extra) -> dict:
    return {"schemas": [USER_SCHEMA], "userName": "new@example.com", **extra}


S = SURROGATE
USER_BODIES = [
    ("userName", _user(userName=f"a{S}@example.com")),
    ("externalId", _user(externalId=f"00u{S}")),
    ("displayName", _user(displayName=f"Jane{S}")),
    ("name.givenName", _user(name={"givenName": S})),
    ("name.familyName", _user(name={"familyName": f"Doe{S}"})),
    ("name.formatted", _user(name={"formatted": S})),
    ("emails.value", _user(emails=[{"value": f"j{S}@example.com", "primary": True}])),
    ("emails.type", _user(emails=[{"value": "j@example.com", "type": S}])),
    ("title", _user(title=S)),
    ("nickName", _user(nickName=S)),
    ("locale", _user(locale=S)),
    ("phoneNumbers.value", _user(phoneNumbers=[{"value": S, "type": "work"}])),
    ("addresses.formatted", _user(addresses=[{"formatted": f"1 Main St\n{S}"}])),
    ("addresses.locality", _user(addresses=[{"locality": S}])),
    ("department", _user(**{ENTERPRISE: {"department": S}})),
    ("manager.value", _user(**{ENTERPRISE: {"manager": {"value": S}}})),
    ("manager.value", _user(**{ENTERPRISE: {"manager": S}})),
]


def _surrogate_error(field: str) -> dict:
    return error(400, f"{field} contains an unpaired surrogate (invalid Unicode).",
                 "invalidValue")


@pytest.mark.parametrize("field,body", USER_BODIES, ids=[f for f, _ in USER_BODIES])
def test_lone_surrogate_in_a_user_post_or_put_is_invalid_value(scim, uid, field, body):
    before = _world()
    response = scim.post("/Users", body)
    assert response.status_code == 400
    assert scim_body(response) == _surrogate_error(field)
    response = scim.put(f"/Users/{uid}", {**body, "userName": body["userName"].replace(
        "new@", "jane@")})
    assert scim_body(response) == _surrogate_error(field)
    assert _world() == before


@pytest.mark.parametrize("field,operation", [
    ("userName", {"op": "replace", "path": "userName", "value": S}),
    ("name.givenName", {"op": "replace", "path": "name.givenName", "value": S}),
    ("name.familyName", {"op": "replace", "value": {"name.familyName": S}}),
    ("displayName", {"op": "add", "value": {"displayName": S}}),
    ("emails.value", {"op": "replace", "path": 'emails[type eq "work"].value', "value": S}),
    ("emails.type", {"op": "add", "path": "emails", "value": [{"value": "x@e.com", "type": S}]}),
    ("department", {"op": "replace", "path": f"{ENTERPRISE}:department", "value": S}),
    ("externalId", {"op": "replace", "value": {"externalId": S}}),
])
def test_lone_surrogate_in_a_user_patch_is_invalid_value(scim, uid, field, operation):
    before = _world()
    response = scim.patch(f"/Users/{uid}", _ops(operation))
    assert scim_body(response) == _surrogate_error(field)
    assert _world() == before


def test_lone_surrogate_in_a_patch_path_filter_is_invalid_filter(scim, uid):
    before = _world()
    response = scim.patch(f"/Users/{uid}", _ops(
        {"op": "replace", "path": f'emails[type eq "{S}"].value', "value": "x@example.com"}))
    assert scim_body(response) == error(
        400, "The filter value in 'emails' contains an unpaired surrogate (invalid Unicode).",
        "invalidFilter")
    assert _world() == before


@pytest.mark.parametrize("field,body", [
    ("displayName", {"displayName": f"Eng{S}"}),
    ("externalId", {"displayName": "Ops", "externalId": S}),
])
def test_lone_surrogate_in_a_group_post_put_or_patch_is_invalid_value(scim, gid, field, body):
    before = _world()
    assert scim_body(scim.post("/Groups", body)) == _surrogate_error(field)
    assert scim_body(scim.put(f"/Groups/{gid}", body)) == _surrogate_error(field)
    response = scim.patch(f"/Groups/{gid}", _ops({"op": "replace", "value": body}))
    assert scim_body(response) == _surrogate_error(field)
    assert _world() == before


@pytest.mark.parametrize("path", ["/Users/.search", "/Groups/.search", "/.search"])
@pytest.mark.parametrize("text", [
    f'displayName eq "{S}"', f'externalId sw "x{S}"', f'emails[value co "{S}"]',
    f'not (displayName gt "{S}")',
])
def test_lone_surrogate_in_a_search_filter_is_invalid_filter(scim, uid, gid, path, text):
    if path == "/Groups/.search" and "emails" in text:
        text = text.replace("emails[value co", "members[value eq").replace("]", "]")
    response = scim.post(path, {"schemas": [SEARCH_REQUEST], "filter": text})
    assert response.status_code == 400
    body = scim_body(response)
    assert body["scimType"] == "invalidFilter"
    assert "unpaired surrogate" in body["detail"]


# --- 5. groups of the wrong type in POST /Users (was TypeError / AttributeError) ------------


@pytest.mark.parametrize("groups,detail", [
    (5, "groups must be a list."),
    ("Eng", "groups must be a list."),
    ([5], "groups must be an object."),
    ([{"display": 5}], "groups.display must be a string."),
    ([{"value": "x", "display": ["Eng"]}], "groups.display must be a string."),
    ([{"display": S}], "groups.display contains an unpaired surrogate (invalid Unicode)."),
])
def test_groups_of_the_wrong_type_on_create_is_invalid_value(scim, groups, detail):
    before = _world()
    response = scim.post("/Users", _user(groups=groups))
    assert response.status_code == 400
    assert scim_body(response) == error(400, detail, "invalidValue")
    assert _world() == before


def test_well_formed_groups_on_create_still_pick_the_mapped_role(scim, org):
    GroupRoleMappingFactory(organization=org, idp_group_name="Admins", role=Role.ADMIN)
    for n, groups in enumerate(([], None, [None], [{"value": "x"}], {"display": "admins"})):
        response = scim.post("/Users", _user(userName=f"u{n}@example.com", groups=groups))
        assert response.status_code == 201, response.content
    roles = dict(Membership.objects.values_list("scim_user_name", "role"))
    assert roles == {"u0@example.com": org.default_role, "u1@example.com": org.default_role,
                     "u2@example.com": org.default_role, "u3@example.com": org.default_role,
                     "u4@example.com": Role.ADMIN}


# --- 6. empty sw / ew / co operands (was ValueError) ----------------------------------------


@pytest.fixture
def people(scim):
    """Two members with externalId, displayName, title; one without."""
    ids = {}
    for name, extra in (
        ("ann", {"externalId": "00uA", "displayName": "Ann", "name": {"givenName": "Ann"}}),
        ("bob", {"externalId": "00uB", "displayName": "Bob",
                 "emails": [{"value": "bob@example.com", "type": "home"}]}),
        ("cid", {}),
    ):
        ids[name] = scim_body(scim.post("/Users", {"userName": f"{name}@example.com",
                                                   **extra}))["id"]
    for group, extra in (("Eng", {"externalId": "gE"}), ("Ops", {})):
        ids[group] = scim_body(scim.post("/Groups", {"displayName": group, **extra}))["id"]
    return ids


def _found(scim, path: str, text: str) -> set[str]:
    body = scim_body(scim.post(path, {"filter": text}))
    assert "Resources" in body, (text, body)
    return {r["id"] for r in body["Resources"]}


@pytest.mark.parametrize("path,attribute,expected", [
    ("/Users/.search", "externalId", {"ann", "bob"}),
    ("/Users/.search", "displayName", {"ann", "bob"}),
    ("/Users/.search", "name.givenName", {"ann"}),
    ("/Users/.search", "userName", {"ann", "bob", "cid"}),
    ("/Users/.search", "emails", {"ann", "bob", "cid"}),
    ("/Users/.search", "emails.value", {"ann", "bob", "cid"}),
    ("/Users/.search", "emails.type", {"ann", "bob", "cid"}),
    ("/Groups/.search", "externalId", {"Eng"}),
    ("/Groups/.search", "displayName", {"Eng", "Ops"}),
    ("/.search", "externalId", {"ann", "bob", "Eng"}),
])
@pytest.mark.parametrize("op", ["sw", "ew", "co"])
def test_empty_sw_ew_co_operands_match_what_pr_matches(scim, people, path, attribute,
                                                        expected, op):
    want = {people[name] for name in expected}
    assert _found(scim, path, f'{attribute} {op} ""') == want
    assert _found(scim, path, f"{attribute} pr") == want
    assert _found(scim, path, f'not ({attribute} {op} "")') == _found(
        scim, path, f"not ({attribute} pr)")


def test_empty_operands_inside_an_emails_value_path(scim, people):
    assert _found(scim, "/Users/.search", 'emails[type eq "home" and value sw ""]') == {
        people["bob"]}
    assert _found(scim, "/Users/.search", 'emails[type ew ""].value co ""') == {
        people[n] for n in ("ann", "bob", "cid")}


@pytest.mark.parametrize("text,detail", [
    ('active sw ""', "The operator 'sw' does not apply to booleans."),
    ('id co ""', "The operator 'co' does not apply to ids."),
    ('emails.primary ew ""', "The operator 'ew' does not apply to booleans."),
])
def test_empty_operands_on_booleans_and_ids_stay_invalid(scim, text, detail):
    response = scim.get("/Users", data={"filter": text})
    assert scim_body(response) == error(400, detail, "invalidFilter")


# --- 7. the base URL without its slash (was an HTML 301 or a DEBUG RuntimeError page) -------


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("method", ["get", "head", "post", "put", "patch", "delete", "options"])
def test_base_url_without_a_slash_answers_with_a_scim_body(scim, settings, debug, method):
    settings.DEBUG = debug
    client = Client(raise_request_exception=True)
    kwargs = {"data": "{}", "content_type": "application/scim+json"} if method in (
        "post", "put", "patch") else {}
    for query in ("", "?aadOptscim062020"):
        anonymous = getattr(client, method)(f"/scim/v2{query}", **kwargs)
        authorized = getattr(client, method)(
            f"/scim/v2{query}", HTTP_AUTHORIZATION=f"Bearer {scim.token}", **kwargs)
        for response, status, detail in (
            (anonymous, 401, "A bearer token is required."),
            (authorized, 404, "There is no SCIM resource at this address."),
        ):
            assert response.status_code == status, (method, response.content[:200])
            assert response["Content-Type"] == "application/scim+json"
            if method != "head":
                assert json.loads(response.content) == error(status, detail)
    assert not Membership.objects.exists()


# --- NUL and bidi overrides: refused alike on both databases (NUL was 201 on SQLite, 400 on
# PostgreSQL; right-to-left overrides were stored and displayed reversed in the admin) --------


@pytest.mark.parametrize("field,body,problem", [
    ("userName", _user(userName="a\x00@example.com"), "a control character (U+0000)"),
    ("displayName", _user(displayName="a\x00b"), "a control character (U+0000)"),
    ("name.givenName", _user(name={"givenName": "Ann\tLee"}), "a control character (U+0009)"),
    ("userName", _user(userName="moc.elpmaxe@\u202ejane"),
     "a bidirectional control character (U+202E)"),
    ("name.familyName", _user(name={"familyName": "\u2067Doe\u2069"}),
     "a bidirectional control character (U+2067)"),
    ("externalId", _user(externalId="00u\x1b[31m"), "a control character (U+001B)"),
])
def test_nul_and_bidi_overrides_are_refused_the_same_on_both_databases(scim, field, body,
                                                                      problem):
    before = _world()
    response = scim.post("/Users", body)
    assert response.status_code == 400
    assert scim_body(response) == error(400, f"{field} contains {problem}.", "invalidValue")
    assert _world() == before


def test_line_breaks_stay_allowed_in_a_formatted_address_only(scim):
    body = _user(addresses=[{"formatted": "1 Main St\r\nSpringfield\tUS", "type": "work"}])
    response = scim.post("/Users", body)
    assert response.status_code == 201
    assert scim_body(response)["addresses"][0]["formatted"] == "1 Main St\r\nSpringfield\tUS"
    body = _user(userName="b@example.com", addresses=[{"locality": "Spring\nfield"}])
    assert scim_body(scim.post("/Users", body)) == error(
        400, "addresses.locality contains a control character (U+000A).", "invalidValue")


# --- errors Django answers before or outside the views ------------------------------------


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/scim/v2/Users", "/scim/v2", "/scim/v2/Nope/x"])
def test_a_bad_host_under_scim_is_a_scim_400(scim, settings, debug, path):
    """DisallowedHost is raised by CommonMiddleware before any URL is resolved."""
    settings.DEBUG = debug
    settings.ALLOWED_HOSTS = ["roster.example.com"]
    client = Client(raise_request_exception=True)
    for method in ("get", "post", "delete"):
        response = getattr(client, method)(path, HTTP_HOST="evil.example",
                                           HTTP_AUTHORIZATION=f"Bearer {scim.token}")
        assert response.status_code == 400
        assert response["Content-Type"] == "application/scim+json"
        assert json.loads(response.content) == error(
            400, "The request is malformed or was sent to a host name this server does not "
                 "serve.")
    response = client.get("/scim/v2/Users", HTTP_HOST="roster.example.com",
                          HTTP_AUTHORIZATION=f"Bearer {scim.token}")
    assert response.status_code == 200
    # Outside the SCIM prefix Django's own pages are untouched.
    response = client.get("/admin/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert not response["Content-Type"].startswith("application/scim+json")


@pytest.mark.parametrize("method,path,status", [
    ("get", "/scim/v2/Nope", 404),
    ("get", "/scim/v2/Users/a/b", 404),
    ("delete", "/scim/v2/Users", 405),
    ("put", "/scim/v2/ServiceProviderConfig", 405),
    ("get", "/scim/v2/Users/.search", 405),
])
def test_unknown_paths_and_methods_are_scim_bodies(scim, method, path, status):
    response = getattr(Client(), method)(path, HTTP_AUTHORIZATION=f"Bearer {scim.token}")
    assert response.status_code == status
    assert response["Content-Type"] == "application/scim+json"
    body = json.loads(response.content)
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["status"] == str(status)


@pytest.mark.parametrize("inner,status", [
    (lambda request: HttpResponseServerError("<h1>Server Error (500)</h1>"), 500),
    (lambda request: HttpResponseNotAllowed(["GET"]), 405),
    (lambda request: HttpResponse("<h1>Request Entity Too Large</h1>", status=413), 413),
])
def test_scim_error_middleware_rewrites_any_non_scim_error_under_the_prefix(inner, status):
    """What Django's handlers answer outside the views (handler500, a 405 or 413 from another
    middleware) leaves as a SCIM body under /scim/v2, keeping headers a client acts on."""
    middleware = ScimErrorMiddleware(inner)
    response = middleware(RequestFactory().get("/scim/v2/Users"))
    assert response.status_code == status
    assert response["Content-Type"] == "application/scim+json"
    body = json.loads(response.content)
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["status"] == str(status) and "<h1>" not in body["detail"]
    if status == 405:
        assert response["Allow"] == "GET"
    outside = middleware(RequestFactory().get("/admin/"))
    assert outside.status_code == status
    assert not outside["Content-Type"].startswith("application/scim+json")

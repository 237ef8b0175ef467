"""The pure wire layer, without a database: PATCH application to a state dict (``scim.patch``),
attribute paths and coercion (``scim.attributes``), the filter grammar and its compilation to
``Q`` (``scim.grammar``, ``scim.filters``), and list projection and paging (``scim.listing``).

No test here touches the database (pytest-django would refuse it: no ``django_db`` mark).
"""

from __future__ import annotations

import pytest
from django.db.models import Q

from scim.attributes import GROUP, MAX_LENGTHS, PROFILE_ATTRIBUTES, USER, coerce
from scim.errors import ScimError
from scim.filters.compile import GROUP_FIELDS, USER_FIELDS, USER_LISTS, Transpiler
from scim.grammar import equality, parse_filter
from scim.listing import attribute_names, int_param, paging, project
from scim.patch import PatchApplier, operations_of
from scim.schemas import ENTERPRISE_SCHEMA, GROUP_SCHEMA, PATCH_OP, USER_SCHEMA


def user_state(**extra):
    state = {"userName": "ann@example.com", "externalId": None, "name": None,
             "displayName": None, "emails": None, "active": True, ENTERPRISE_SCHEMA: {},
             **{key: None for key in PROFILE_ATTRIBUTES}}
    return {**state, **extra}


def patch(state, *operations, resource_id="u1"):
    return PatchApplier(USER, state, resource_id).apply(list(operations))


def scim_type(excinfo) -> str:
    return excinfo.value.scim_type


# --- PATCH ---------------------------------------------------------------------------------


def test_at_most_one_primary_email_the_last_one_set_wins():
    state = user_state(emails=[{"value": "a@x.co", "type": "work", "primary": True}])
    new = patch(state, {"op": "add", "path": "emails",
                        "value": [{"value": "b@x.co", "type": "home", "primary": True}]})
    assert [e.get("primary") for e in new["emails"]] == [False, True]
    new = patch(state, {"op": "replace", "path": 'emails[type eq "home"].primary',
                        "value": True})
    assert [(e["type"], e["primary"]) for e in new["emails"]] == [("work", False),
                                                                   ("home", True)]


def test_schemas_inside_an_extension_value_is_skipped_not_read_as_an_attribute():
    new = patch(user_state(), {"op": "replace", "path": ENTERPRISE_SCHEMA, "value": {
        "schemas": [ENTERPRISE_SCHEMA], "department": "Sales"}})
    assert new[ENTERPRISE_SCHEMA] == {"department": "Sales"}
    new = patch(user_state(), {"op": "add", "value": {ENTERPRISE_SCHEMA: {
        "schemas": [ENTERPRISE_SCHEMA], "costCenter": "42"}}})
    assert new[ENTERPRISE_SCHEMA] == {"costCenter": "42"}


def test_the_state_given_is_not_changed_in_place():
    state = user_state(emails=[{"value": "a@x.co", "type": "work", "primary": True}])
    patch(state, {"op": "replace", "path": 'emails[type eq "work"].value', "value": "b@x.co"})
    assert state["emails"] == [{"value": "a@x.co", "type": "work", "primary": True}]


def test_okta_and_entra_forms():
    state = user_state(name={"givenName": "Ann", "familyName": "Lee"})
    new = patch(state,
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "replace", "value": {"name.givenName": "Anne",
                                           f"{ENTERPRISE_SCHEMA}:department": "Ops"}},
                {"op": "Add", "path": 'phoneNumbers[type eq "work"].value', "value": "+1 555"})
    assert new["active"] is False
    assert new["name"] == {"givenName": "Anne", "familyName": "Lee"}
    assert new[ENTERPRISE_SCHEMA] == {"department": "Ops"}
    assert new["phoneNumbers"] == [{"type": "work", "value": "+1 555"}]


@pytest.mark.parametrize(("operation", "kind"), [
    ({"op": "replace", "path": "nope", "value": 1}, "invalidPath"),
    ({"op": "replace", "path": "id", "value": "x"}, "mutability"),
    ({"op": "replace", "path": "groups", "value": []}, "mutability"),
    ({"op": "remove", "path": "userName"}, "mutability"),
    ({"op": "remove"}, "noTarget"),
    ({"op": "replace", "path": "active", "value": "maybe"}, "invalidValue"),
    ({"op": "replace", "path": 'emails[type co "w"].value', "value": "x"}, "invalidFilter"),
    ({"op": "replace", "path": "emails[type eq", "value": "x"}, "invalidPath"),
    ({"op": "replace", "path": "urn:example:other:attr", "value": "x"}, "invalidPath"),
])
def test_refusals_name_their_kind(operation, kind):
    with pytest.raises(ScimError) as excinfo:
        patch(user_state(), operation)
    assert scim_type(excinfo) == kind


def test_the_envelope_is_checked_before_any_operation():
    assert operations_of({"schemas": [PATCH_OP], "Operations": [{"op": "add"}]})
    for body in ([], {"schemas": ["x"], "Operations": [{"op": "add"}]}, {"Operations": []},
                 {"Operations": [{"op": "move"}]}, {"Operations": ["add"]}):
        with pytest.raises(ScimError) as excinfo:
            operations_of(body)
        assert scim_type(excinfo) == "invalidSyntax"


def test_group_member_operations_are_recorded_as_deltas():
    applier = PatchApplier(GROUP, {"displayName": "G", "externalId": None, "members": None}, "g")
    applier.apply([
        {"op": "add", "path": "members", "value": [{"value": "a"}, {"value": "b"}]},
        {"op": "remove", "path": 'members[value eq "a"]'},
        {"op": "remove", "path": "members"},
    ])
    assert applier.member_ops == [("add", ["a", "b"]), ("remove", ["a"]), ("replace", [])]


# --- attributes ----------------------------------------------------------------------------


def test_lengths_come_from_the_columns():
    assert MAX_LENGTHS["userName"] == 254 and MAX_LENGTHS["name.givenName"] == 150
    attr = USER.attribute(USER_SCHEMA, "userName")
    assert coerce(attr, "a" * 254, "userName") == "a" * 254
    with pytest.raises(ScimError, match="at most 254"):
        coerce(attr, "a" * 255, "userName")
    with pytest.raises(ScimError, match="control character"):
        coerce(attr, "a\x00", "userName")


def test_profile_attributes_are_the_advertised_ones_without_a_column():
    assert PROFILE_ATTRIBUTES == ("nickName", "profileUrl", "title", "userType",
                                  "preferredLanguage", "locale", "timezone", "phoneNumbers",
                                  "addresses")


def test_a_path_filter_uses_the_filter_grammar():
    assert equality('type eq "work"', "emails") == ("type", "work")
    for text in ('type ne "work"', 'not (type eq "w")', 'type eq "a" or type eq "b"',
                 'type.sub eq "x"', 'type eq "\x00"'):
        with pytest.raises(ScimError) as excinfo:
            equality(text, "emails")
        assert scim_type(excinfo) == "invalidFilter"
    assert GROUP.parse('members[value eq "x"]').filter_value == "x"


# --- filters -------------------------------------------------------------------------------


def users(text: str) -> Q:
    return Transpiler(USER_FIELDS, USER_SCHEMA, USER_LISTS).visit(parse_filter(text))


def groups(text: str) -> Q:
    return Transpiler(GROUP_FIELDS, GROUP_SCHEMA).visit(parse_filter(text))


@pytest.mark.parametrize("text", [
    'nickName eq "x"', 'active gt "true"', 'id gt "x"', 'meta.created co "2026"',
    'meta.created gt "yesterday"', 'emails.primary co "t"', 'name.givenName zz "x"',
    'userName eq "\u202e"', "x" * 1001, 'urn:x:y:attr eq "a"',
])
def test_filters_we_cannot_honour_exactly_are_invalid(text):
    with pytest.raises(ScimError) as excinfo:
        users(text)
    assert scim_type(excinfo) == "invalidFilter"


def test_empty_substring_operands_mean_present():
    assert users('displayName co ""') == users("displayName pr")
    assert users('externalId sw ""') == users("externalId pr")


def test_logic_and_negation_compose_as_q_objects():
    both = users('userName eq "a" and not (active eq false)')
    assert both.connector == "AND" and len(both.children) == 2
    assert users('active eq true or active eq false').connector == "OR"
    assert groups('id eq "not-a-uuid"') == Q(pk__in=[])


# --- listing -------------------------------------------------------------------------------


def test_projection_always_keeps_id_schemas_and_meta():
    doc = {"schemas": ["s"], "id": "1", "meta": {}, "userName": "a",
           "name": {"givenName": "A", "familyName": "B"},
           "emails": [{"value": "a@x", "type": "work"}]}
    assert project(doc, attribute_names("name.givenName,emails.value", USER_SCHEMA), []) == {
        "schemas": ["s"], "id": "1", "meta": {}, "name": {"givenName": "A"},
        "emails": [{"value": "a@x"}]}
    assert project(doc, [], attribute_names(["emails", "id"], USER_SCHEMA)) == {
        k: v for k, v in doc.items() if k != "emails"}


def test_paging_reads_rfc_7644_numbers():
    assert paging({}) == (1, 100)
    assert paging({"startIndex": "0", "count": "-5"}) == (1, 0)
    assert paging({"startIndex": 1e20, "count": 2.0})[1] == 2
    for bad in (True, 1.5, "1e3", "x", float("inf")):
        with pytest.raises(ScimError):
            int_param(bad, "count")

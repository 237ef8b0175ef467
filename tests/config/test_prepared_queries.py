"""``config.prepared_queries``: a queryset compiled once per connection gives exactly what the
ORM gives for every later value, compiles nothing more, and refuses to cache a builder whose
SQL does not follow its arguments (those run through the ORM, still right)."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from config import prepared_queries
from config.prepared_queries import prepared
from orgs.models import GroupMember, Membership
from orgs.text import fold
from tests.factories import GroupFactory, MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    prepared_queries._entries.clear()
    yield
    prepared_queries._entries.clear()


def by_email_key(organization_id, email):
    return (Membership.objects.filter(organization_id=organization_id, email_key=fold(email))
            .select_related("organization").order_by("id"))


def test_rows_are_the_orms_for_every_value_and_compile_once(select_compilations):
    org, other = OrganizationFactory(), OrganizationFactory()
    ada = MembershipFactory(organization=org, email="Ada@Example.com")
    MembershipFactory(organization=other, email="ada@example.com")
    grace = MembershipFactory(organization=org, email="grace@example.com")
    kinds = [uuid.UUID, str]
    first = prepared(("by-email",), by_email_key, [org.pk, "ADA@example.COM"], kinds)
    assert select_compilations == ["Membership", "Membership"]  # the two stand-in compilations
    select_compilations.clear()
    with CaptureQueriesContext(connection) as queries:
        second = prepared(("by-email",), by_email_key, [org.pk, "Grace@Example.com"], kinds)
        none = prepared(("by-email",), by_email_key, [other.pk, "grace@example.com"], kinds)
        assert second[0].organization.name == org.name  # select_related: no query of its own
    assert select_compilations == []
    assert len(queries) == 2
    assert first == list(by_email_key(org.pk, "ADA@example.COM")) == [ada]
    assert [m.pk for m in second] == [grace.pk]
    assert none == []
    assert second[0].email == "grace@example.com" and not second[0]._state.adding


def test_values_lists_and_lists_of_ids():
    org = OrganizationFactory()
    group = GroupFactory(organization=org, display_name="Eng")
    members = [MembershipFactory(organization=org) for _ in range(3)]
    for m in members[:2]:
        GroupMember.objects.create(group=group, membership=m)

    def refs(*ids):
        return (GroupMember.objects.filter(membership_id__in=ids).order_by("membership_id")
                .values_list("membership_id", "group__display_name"))

    ids = [m.pk for m in members]
    expected = list(refs(*ids))
    assert prepared(("refs", 3), refs, ids, [uuid.UUID] * 3) == expected
    assert prepared(("refs", 3), refs, ids[::-1], [uuid.UUID] * 3) == expected
    assert sorted(prepared(("refs", 3), refs, [ids[2]] * 3, [uuid.UUID] * 3)) == []


def test_a_builder_that_drops_or_reshapes_a_value_is_not_cached(select_compilations, caplog):
    org = OrganizationFactory()
    m = MembershipFactory(organization=org, email="x@example.com")

    def ignores_email(organization_id, email):
        return Membership.objects.filter(organization_id=organization_id)

    def suffixed(organization_id, email):  # a transformation prepared queries do not know
        return Membership.objects.filter(organization_id=organization_id,
                                          email_key__in=[email + ".", email.lower()])

    kinds = [uuid.UUID, str]
    for _ in range(2):
        assert [r.pk for r in prepared(("ignores",), ignores_email, [org.pk, "X@example.com"],
                                       kinds)] == [m.pk]
        assert [r.pk for r in prepared(("suffixed",), suffixed, [org.pk, "X@example.com"],
                                       kinds)] == [m.pk]
    assert caplog.text.count("is not prepared") == 2
    select_compilations.clear()
    prepared(("suffixed",), suffixed, [org.pk, "X@example.com"], kinds)
    assert select_compilations == ["Membership"]  # through the ORM, every time


def test_the_cache_is_bounded(monkeypatch):
    org = OrganizationFactory()
    monkeypatch.setattr(prepared_queries, "MAX_KEYS", 2)
    for n in range(4):
        assert prepared(("k", n), by_email_key, [org.pk, "a@b.c"], [uuid.UUID, str]) == []
    assert len(prepared_queries._entries[connections["default"]]) == 2


def test_a_list_of_ids_is_one_parameter_whatever_its_length(select_compilations):
    """``field__any`` (config.lookups) passes a list as one parameter: one compiled query
    serves every length, with the ORM's rows, and another organization's ids match nothing
    of a scoped builder."""
    org, other = OrganizationFactory(), OrganizationFactory()
    mine = [MembershipFactory(organization=org) for _ in range(5)]
    theirs = MembershipFactory(organization=other)

    def members(organization_id, ids):
        return (Membership.objects.filter(organization_id=organization_id, pk__any=ids)
                .order_by("email").values_list("pk", flat=True))

    kinds = [uuid.UUID, list]
    ids = [m.pk for m in mine]
    expected = {n: list(members(org.pk, ids[:n])) for n in (5, 3, 2, 0)}
    assert set(prepared(("any",), members, [org.pk, ids[:1]], kinds)) == {ids[0]}
    select_compilations.clear()
    with CaptureQueriesContext(connection) as queries:
        for n in (5, 3, 0):
            assert list(prepared(("any",), members, [org.pk, ids[:n]], kinds)) == expected[n]
        mixed = [theirs.pk, *ids[:2]]
        assert list(prepared(("any",), members, [org.pk, mixed], kinds)) == expected[2]
    assert select_compilations == []  # one compiled query for every length
    assert len(queries) == 4
    if connection.vendor == "postgresql":  # the list is sent as the array's text
        assert all("= ANY(ARRAY(SELECT unnest('{" in q["sql"] and "::uuid[])" in q["sql"]
                   for q in queries.captured_queries), queries.captured_queries[0]["sql"]
    # A list holding anything but UUIDs goes through the ORM, with the same answer.
    assert list(prepared(("any",), members, [org.pk, [str(ids[0])]], kinds)) == [ids[0]]


def test_only_known_types_stand_in():
    with pytest.raises(TypeError):
        prepared(("float",), lambda n: Membership.objects.filter(pk=n), [1.5], [float])


def test_an_integer_the_orm_writes_into_the_sql_is_never_prepared(caplog):
    """An integer argument is a parameter of a raw statement (a LIMIT of ``page_ids_sql``);
    the ORM writes its own LIMIT into the SQL text, so such a builder is refused and runs
    through the ORM every time, with the right answer."""
    MembershipFactory.create_batch(3)
    everyone = list(Membership.objects.order_by("pk").values_list("pk", flat=True))

    def first(n):
        return Membership.objects.order_by("pk").values_list("pk", flat=True)[:n]

    for n in (1, 2):
        assert prepared(("orm-limit",), first, [n], [int]) == everyone[:n]
    assert "not prepared" in caplog.text


def test_the_least_recently_used_key_goes_first(monkeypatch):
    org = OrganizationFactory()
    monkeypatch.setattr(prepared_queries, "MAX_KEYS", 2)
    for key in ("a", "b", "a", "c"):
        prepared((key,), by_email_key, [org.pk, "a@b.c"], [uuid.UUID, str])
    assert list(prepared_queries._entries[connections["default"]]) == [("a",), ("c",)]


def test_a_value_of_another_type_than_declared_goes_through_the_orm(select_compilations):
    org = OrganizationFactory()
    ada = MembershipFactory(organization=org, email="ada@example.com")
    prepared(("by-email",), by_email_key, [org.pk, "ada@example.com"], [uuid.UUID, str])
    select_compilations.clear()
    found = prepared(("by-email",), by_email_key, [str(org.pk), "ada@example.com"],
                     [uuid.UUID, str])
    assert found == [ada] and select_compilations == ["Membership"]

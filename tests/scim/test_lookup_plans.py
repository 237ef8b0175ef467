"""Every lookup an IdP makes uses an index, so its cost stays flat from 1,000 to 100,000
members: the real requests run, and each query they make is EXPLAINed.

On PostgreSQL the organization is large enough, and ANALYZEd, that the planner would rather
read the tables than walk an index that does not narrow the lookup; a sequential scan of the
membership or account tables (or, for group lookups, of the group tables) fails the test.
Roster's hot queries are prepared statements, which PostgreSQL plans either for the values
at hand (a custom plan) or once for any values (the generic plan, which it switches to when
that looks as cheap): each query is EXPLAINed both ways. On
SQLite, every step that reads those tables must SEARCH an index on the key it looks up, not
SCAN them nor walk all of the organization's rows (``config.sqlite`` gives its planner the
statistics it needs for that).
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orgs import services
from orgs.models import Group, GroupMember, Membership, User
from scim.models import ScimUserEmail, ScimUserProfile
from tests.factories import OrganizationFactory
from tests.scim.conftest import scim_body

pytestmark = pytest.mark.django_db

BIG = connection.vendor == "postgresql"  # the planner of PostgreSQL weighs real sizes
MEMBERS, GROUPS = (4000, 2000) if BIG else (300, 40)
MEMBER_TABLES = ("orgs_membership", "orgs_user")
GROUP_TABLES = ("orgs_group", "orgs_groupmember")


@pytest.fixture
def directory(org, actor):
    """A directory the size the planner takes seriously, most of it ``org``'s: members with
    accounts and without, SCIM profiles (some with a list of addresses), groups."""
    other = OrganizationFactory(name="Other", slug="other")
    users = User.objects.bulk_create(
        [User(email=f"person{i}@example.com", password="!") for i in range(MEMBERS // 2)])
    rows = []
    for i in range(MEMBERS):
        rows.append(Membership(
            organization=org if i % 4 else other, user=users[i // 2] if i % 2 else None,
            email=f"person{i}@example.com", scim_user_name=f"person{i}@example.com",
            external_id=f"00u{i:06d}", source="scim", given_name="P", family_name=str(i)))
    members = Membership.objects.bulk_create(rows)
    ScimUserProfile.objects.bulk_create([
        ScimUserProfile(membership=m, display_name=f"Person {i}", attributes={"emails": [
            {"value": m.email, "type": "work", "primary": True},
            {"value": f"alias{i}@example.org", "type": "other"}]} if i % 10 == 1 else {})
        for i, m in enumerate(members) if i % 3 == 1])
    ScimUserEmail.objects.bulk_create([
        ScimUserEmail(membership=m, value_key=key)
        for i, m in enumerate(members) if i % 3 == 1 and i % 10 == 1
        for key in (m.email_key, f"alias{i}@example.org")])
    groups = Group.objects.bulk_create(
        [Group(organization=org if g % 4 else other, display_name=f"Team {g}",
               external_id=f"00g{g}") for g in range(GROUPS)])
    ours = [g for g in groups if g.organization_id == org.pk]
    GroupMember.objects.bulk_create(
        [GroupMember(group=ours[i % len(ours)], membership=m)
         for i, m in enumerate(members) if m.organization_id == org.pk])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("orgs_user", "orgs_membership", "orgs_group", "orgs_groupmember",
                          "scim_scimuserprofile", "scim_scimuseremail"):
                cursor.execute(f"ANALYZE {table}")
    return members


def _plans(run, tables: tuple[str, ...]) -> list[tuple[str, str]]:
    """(query, plan) of every query ``run`` makes that reads one of ``tables``; on PostgreSQL
    two plans of each, as a prepared statement: its generic plan and its custom plan."""
    statements: list[tuple[str, Any]] = []

    def captured(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(captured):
        run()
    out = []
    for sql, params in statements:
        if (not sql.lstrip().upper().startswith(("SELECT", "WITH"))
                or not any(t in sql for t in tables)):
            continue
        if connection.vendor == "postgresql":
            out.extend((f"{mode}: {sql}", plan) for mode, plan in _prepared_plans(sql, params))
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            out.append((sql, "\n".join(str(row[-1]) for row in cursor.fetchall())))
    assert out, "the lookup read neither table"
    return out


def _prepared_plans(sql: str, params: Any) -> list[tuple[str, str]]:
    """The generic and the custom plan PostgreSQL makes of ``sql`` prepared, for ``params``."""
    placeholders = itertools.count(1)
    numbered = re.sub(r"%([%s])", lambda m: "%" if m[1] == "%" else f"${next(placeholders)}",
                      sql)  # Django's %s and %% as PREPARE takes them
    arguments = ""
    if params:
        with psycopg.ClientCursor(connection.connection) as literals:  # values as SQL literals
            arguments = literals.mogrify(", ".join(["%s"] * len(params)), params)
    plans = []
    with connection.cursor() as cursor:
        cursor.execute(f"PREPARE roster_plan_check AS {numbered}")
        try:
            for mode in ("force_generic_plan", "force_custom_plan"):
                cursor.execute(f"SET LOCAL plan_cache_mode = {mode}")
                execute = (f"EXECUTE roster_plan_check({arguments})" if arguments
                           else "EXECUTE roster_plan_check")
                cursor.execute(f"EXPLAIN {execute}")
                plans.append((mode, "\n".join(row[0] for row in cursor.fetchall())))
        finally:
            cursor.execute("DEALLOCATE roster_plan_check")
    return plans


def assert_indexed(run, tables: tuple[str, ...] = MEMBER_TABLES, *,
                   counted: bool = False) -> None:
    """``counted``: the statement that counts the organization's rows (a Groups list's
    ``totalResults``) may read all of them, as it must."""
    names = "|".join(tables)
    # SQLite: a step that reads a table without narrowing it to the key looked up.
    wide = re.compile(rf"^SCAN ({names}|U\d)\b|USING (COVERING )?INDEX \w+ \(organization_id=\?\)$")
    for sql, plan in _plans(run, tables):
        if counted and 'SELECT COUNT(*) AS "__count"' in sql:
            continue
        if connection.vendor == "postgresql":
            assert not re.search(rf"Seq Scan on ({names})\b", plan), (sql, plan)
        else:
            assert not [line for line in plan.splitlines() if wide.search(line.strip())], (
                sql, plan)


def _get(scim, path):
    def run():
        response = scim.get(path)
        assert response.status_code == 200, response.content
        return response
    return run


def _user(members, i=5):
    return members[i if i % 4 else i + 1]


@pytest.mark.parametrize("name", [
    "userName eq (hit, other case)", "userName eq (miss)", "externalId eq", "emails.value eq",
    "emails eq", "Entra emails[type eq work].value eq", "emails[value eq] of a list",
    "displayName eq", "id eq",
])
def test_user_lookups_use_an_index(scim, directory, name):
    m = _user(directory)
    listed = directory[31]  # a profile with a list of addresses (i % 3 == 1, i % 10 == 1)
    assert listed.organization_id == m.organization_id
    filters = {
        "userName eq (hit, other case)": f'userName eq "{m.scim_user_name.upper()}"',
        "userName eq (miss)": 'userName eq "nobody@example.com"',
        "externalId eq": f'externalId eq "{m.external_id}"',
        "emails.value eq": f'emails.value eq "{m.email}"',
        "emails eq": f'emails eq "{m.email.upper()}"',
        "Entra emails[type eq work].value eq": f'emails[type eq "work"].value eq "{m.email}"',
        "emails[value eq] of a list": 'emails[value eq "alias31@example.org"]',
        "displayName eq": 'displayName eq "PERSON 31"',
        "id eq": f'id eq "{m.pk}"',
    }
    text = filters[name]
    body = scim_body(_get(scim, f"/Users?filter={text}&startIndex=1&count=100")())
    expected = 0 if "miss" in name else 1
    assert body["totalResults"] == expected, (text, body)
    assert_indexed(_get(scim, f"/Users?filter={text}&startIndex=1&count=100"))


def test_user_by_id_uses_an_index(scim, directory):
    assert_indexed(_get(scim, f"/Users/{_user(directory).pk}"))


@pytest.mark.parametrize("text", [
    'displayName eq "TEAM 5"', 'externalId eq "00g5"', "id eq \"{gid}\"",
    'members[value eq "{uid}"]', 'id eq "{gid}" and members[value eq "{uid}"]',
])
def test_group_lookups_use_an_index(scim, org, directory, text):
    group = Group.objects.get(organization=org, display_name="Team 5")
    member = GroupMember.objects.filter(group=group).first().membership_id
    text = text.format(gid=group.pk, uid=member)
    body = scim_body(_get(scim, f"/Groups?filter={text}&excludedAttributes=members")())
    assert body["totalResults"] >= 1, (text, body)
    assert_indexed(_get(scim, f"/Groups?filter={text}&excludedAttributes=members"),
                   GROUP_TABLES)


def test_create_checks_uniqueness_through_the_indexes(scim, directory):
    taken = _user(directory)

    def create(user_name: str, external_id: str):
        return lambda: scim.post("/Users", {"userName": user_name, "externalId": external_id})

    assert create(taken.scim_user_name.upper(), "new-ext")().status_code == 409
    assert create("new@example.com", taken.external_id.upper())().status_code == 409
    assert_indexed(create("fresh@example.com", "00ufresh"))


def test_account_lookups_use_an_index(org, directory, actor):
    """A member added by hand (its email checked, its account found or made) and a password
    login (the account by its email)."""
    assert_indexed(lambda: services.membership_add(
        organization=org, email="Newcomer@Example.com", actor=actor, send_invitation=False))
    assert_indexed(lambda: User.objects.get_by_natural_key("Person3@Example.com"))


def test_deep_import_pages_seek_through_the_index(scim, directory, monkeypatch, settings):
    """A deep ``startIndex`` page of the whole list starts at a remembered position
    (``orgs.list_positions``) and seeks to it through the (organization, created_at, id) index,
    rather than walk every member before it."""
    from orgs import list_positions

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    monkeypatch.setattr(list_positions, "STEP", 50)
    deep = f"/Users?startIndex={MEMBERS // 100 * 50 + 8}&count=20"  # 7 past a position
    assert len(scim_body(_get(scim, deep)())["Resources"]) == 20  # reads the positions
    with CaptureQueriesContext(connection) as ctx:
        _get(scim, deep)()
    assert any("OFFSET 7" in q["sql"] and "> (" in q["sql"] for q in ctx.captured_queries)
    assert_indexed(_get(scim, deep))


def test_cursor_pages_seek_through_the_index(scim, directory):
    """A later RFC 9865 page starts past the last position through the (organization,
    created_at, id) index: on PostgreSQL with a row-value comparison the index seeks to (Django
    spells it as an OR on SQLite, which still searches the index)."""
    first = scim_body(_get(scim, "/Users?count=20&cursor=")())
    later = f"/Users?count=20&cursor={first['nextCursor']}"
    with CaptureQueriesContext(connection) as ctx:
        _get(scim, later)()
    if connection.vendor == "postgresql":
        assert any('("orgs_membership"."created_at", "orgs_membership"."id") > (' in q["sql"]
                   for q in ctx.captured_queries)
    assert_indexed(_get(scim, later))


def test_import_pages_read_their_members_through_the_indexes(scim, directory):
    """A page of 100 past the first (no remembered position before it: ``STEP`` is 1,000)
    reads its members by id and their groups by member, not every organization's rows: told
    it wants 100 ids, PostgreSQL's planner would rather scan tables of a few thousand rows
    whole, which costs several times the probes (``config.lookups``). (SQLite walks the
    offset on the organization's index, as designed: the deep-page test checks its plans.)"""
    page = "/Users?startIndex=101&count=100"
    body = scim_body(_get(scim, page)())
    assert len(body["Resources"]) == 100
    assert all(user["groups"] for user in body["Resources"])  # every member is in a group
    if connection.vendor == "postgresql":
        assert_indexed(_get(scim, page), MEMBER_TABLES + GROUP_TABLES)


def test_group_pages_read_their_groups_through_the_indexes(scim, directory):
    count = GROUPS // 20
    page = f"/Groups?startIndex={count + 1}&count={count}"
    assert len(scim_body(_get(scim, page)())["Resources"]) == count
    if connection.vendor == "postgresql":
        assert_indexed(_get(scim, page), GROUP_TABLES, counted=True)

"""The reads an IdP repeats compile no SQL after their first time on a connection
(``config.prepared_queries``): a userName or externalId lookup, the Test Connector, GET, PUT
and PATCH of a user, a group push. A read that silently fell back to the ORM (a value of an
unexpected type, a builder whose SQL stopped following its arguments) fails here."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orgs import list_positions
from orgs.models import Group, Membership
from orgs.services import members_seed
from tests.scim.conftest import PATCH_OP, scim_body
from tests.scim.test_okta_aiw import OKTA_USER

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("cache_in_memory")]


def test_repeated_idp_reads_compile_no_select(scim, select_compilations):
    user = scim_body(scim.post("/Users", OKTA_USER))
    group = scim_body(scim.post("/Groups", {"displayName": "Eng", "members": []}))
    uid, gid = user["id"], group["id"]

    def requests() -> None:
        for path in ('/Users?filter=userName eq "SOMEONE@example.com"&startIndex=1&count=100',
                     f'/Users?filter=userName eq "{OKTA_USER["userName"].upper()}"',
                     f'/Users?filter=externalId eq "{OKTA_USER["externalId"]}"',
                     "/Users?startIndex=1&count=2", f"/Users/{uid}"):
            assert scim.get(path).status_code == 200, path
        body = scim_body(scim.get(f"/Users/{uid}"))
        body["title"] = "Engineer" if body.get("title") != "Engineer" else "Lead"
        assert scim.put(f"/Users/{uid}", body).status_code == 200
        for active in (False, True):
            assert scim.patch(f"/Users/{uid}", {"schemas": [PATCH_OP], "Operations": [
                {"op": "replace", "value": {"active": active}}]}).status_code == 200
        assert scim.patch(f"/Groups/{gid}", {"schemas": [PATCH_OP], "Operations": [
            {"op": "add", "path": "members", "value": [{"value": uid}]}]}).status_code == 200

    requests()  # the first time on this connection: compiled, then kept
    select_compilations.clear()
    requests()
    assert select_compilations == []


def test_cursor_walks_compile_no_select(scim, org, actor, select_compilations):
    """RFC 9865 pages of the whole list, Users and Groups: their first page and every page
    after a cursor run prepared, and give what the ORM gives (the order, every member once).
    What is left is the groups' COUNT on their first page (groups keep no count)."""

    members_seed(organization=org, members=12, actor=actor)
    for i in range(5):
        assert scim.post("/Groups", {"displayName": f"G{i}", "members": []}).status_code == 201

    def walk(resource: str) -> list[str]:
        ids, cursor = [], ""
        while True:
            body = scim_body(scim.get(f"/{resource}?count=4&cursor={cursor}"))
            ids += [r["id"] for r in body["Resources"]]
            cursor = body.get("nextCursor")
            if not cursor:
                return ids

    expected = {
        "Users": [str(pk) for pk in Membership.objects.filter(organization=org)
                  .order_by("created_at", "id").values_list("pk", flat=True)],
        "Groups": [str(pk) for pk in Group.objects.filter(organization=org)
                   .order_by("created_at", "id").values_list("pk", flat=True)],
    }
    for resource in expected:
        assert walk(resource) == expected[resource]  # the first time: compiled, then kept
    select_compilations.clear()
    for resource in expected:
        assert walk(resource) == expected[resource]
    assert select_compilations == ["Group"]
    with CaptureQueriesContext(connection) as ctx:
        walk("Groups")
    assert sum("COUNT(" in q["sql"] for q in ctx.captured_queries) == 1


def test_deep_start_index_pages_compile_no_select(scim, org, actor, select_compilations,
                                                  monkeypatch):
    """A later page of the whole list is one prepared statement, whether it walks from the
    list's start or from a remembered position (``orgs.list_positions``), and gives what an
    OFFSET gives."""

    monkeypatch.setattr(list_positions, "STEP", 7)
    list_positions._LOCAL.clear()
    members_seed(organization=org, members=40, actor=actor)
    expected = [str(pk) for pk in Membership.objects.filter(organization=org)
                .order_by("created_at", "id").values_list("pk", flat=True)]

    def pages() -> None:
        for start in (4, 9, 30, 37):  # from the start; past a position; and deeper
            body = scim_body(scim.get(f"/Users?startIndex={start}&count=5"))
            assert [r["id"] for r in body["Resources"]] == expected[start - 1:start + 4]

    pages()
    select_compilations.clear()
    pages()
    assert select_compilations == []

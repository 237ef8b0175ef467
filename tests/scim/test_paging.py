"""Paging through a directory: startIndex (RFC 7644 §3.4.2.4), deep pages included, and
RFC 9865 cursors (``cursor``/``nextCursor``, advertised in ServiceProviderConfig)."""

from __future__ import annotations

import datetime as dt

import pytest

from orgs.models import Group, Membership
from tests.scim.conftest import error, scim_body

pytestmark = pytest.mark.django_db

SAME_TIME = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


@pytest.fixture
def members(org, other_org):
    """250 members of ``org`` (a run of 40 created in the same microsecond, as a bulk import
    makes them), and some of another organization that no page may show."""
    rows = [Membership(organization=org, email=f"m{i:03d}@example.com",
                       scim_user_name=f"m{i:03d}@example.com", source="scim",
                       created_at=SAME_TIME if 100 <= i < 140
                       else SAME_TIME + dt.timedelta(seconds=i))
            for i in range(250)]
    rows += [Membership(organization=other_org, email=f"x{i}@example.com", source="scim",
                        created_at=SAME_TIME + dt.timedelta(seconds=i)) for i in range(30)]
    Membership.objects.bulk_create(rows)
    return [str(m) for m in Membership.objects.filter(organization=org).order_by(
        "created_at", "id").values_list("pk", flat=True)]


def _walk(scim, path: str, sep: str = "&") -> tuple[list[str], list[dict]]:
    ids, pages = [], []
    body = scim_body(scim.get(f"{path}{sep}cursor="))
    while True:
        pages.append(body)
        ids += [r["id"] for r in body["Resources"]]
        if "nextCursor" not in body:
            return ids, pages
        body = scim_body(scim.get(f"{path}{sep}cursor={body['nextCursor']}"))


def test_cursor_pages_walk_the_whole_list_once(scim, members):
    ids, pages = _walk(scim, "/Users?count=100")
    assert ids == members
    assert [p["itemsPerPage"] for p in pages] == [100, 100, 50]
    assert {p["totalResults"] for p in pages} == {250}
    assert "startIndex" not in pages[0]
    assert all("nextCursor" in p for p in pages[:-1])


def test_cursor_pages_with_a_filter_and_by_search(scim, members):
    ids, _ = _walk(scim, '/Users?filter=userName%20sw%20"m1"&count=7')
    assert ids == [m for m in members if Membership.objects.get(pk=m).scim_user_name.startswith(
        "m1")]
    body = scim_body(scim.post("/Users/.search", {"cursor": "", "count": 2}))
    assert body["itemsPerPage"] == 2 and body["nextCursor"]
    body = scim_body(scim.post("/Users/.search", {"cursor": body["nextCursor"], "count": 2}))
    assert [r["id"] for r in body["Resources"]] == members[2:4]


def test_a_member_created_while_paging_comes_last(scim, org, members):
    first = scim_body(scim.get("/Users?cursor=&count=100"))
    new = scim_body(scim.post("/Users", {"userName": "late@example.com"}))["id"]
    Membership.objects.filter(pk=members[150]).delete()
    body, ids = first, []
    while "nextCursor" in body:
        body = scim_body(scim.get(f"/Users?cursor={body['nextCursor']}&count=100"))
        ids += [r["id"] for r in body["Resources"]]
    assert ids == [m for m in members[100:] if m != members[150]] + [new]
    # The total is the list's when the walk began (carried in the cursor, not counted again).
    assert body["totalResults"] == 250


def test_groups_page_by_cursor_too(scim, org):
    Group.objects.bulk_create([Group(organization=org, display_name=f"G{i}")
                               for i in range(5)])
    ids, pages = _walk(scim, "/Groups?count=2")
    assert len(ids) == len(set(ids)) == 5 and len(pages) == 3


@pytest.mark.parametrize("query,detail,scim_type", [
    ("cursor=nonsense", "The cursor is not one this server gave: start again with an empty "
     "cursor and follow nextCursor.", "invalidCursor"),
    ("cursor=&count=0", "count must be between 1 and 100.", "invalidCount"),
    ("cursor=&startIndex=5", "Use either startIndex or cursor paging, not both.",
     "invalidValue"),
])
def test_bad_cursor_requests_are_refused(scim, members, query, detail, scim_type):
    response = scim.get(f"/Users?{query}")
    assert response.status_code == 400
    assert scim_body(response) == error(400, detail, scim_type)


def test_a_bad_filter_is_reported_before_a_bad_cursor(scim, members):
    """As with startIndex paging, the filter is read first: a request wrong in both ways
    gets the filter's error."""
    response = scim.get("/Users?filter=userName%20zz&cursor=nonsense&count=0")
    assert response.status_code == 400
    assert scim_body(response)["scimType"] == "invalidFilter"


def test_a_cursor_is_for_the_resource_type_it_came_from(scim, org, members):
    Group.objects.create(organization=org, display_name="G")
    Group.objects.create(organization=org, display_name="H")
    cursor = scim_body(scim.get("/Groups?cursor=&count=1"))["nextCursor"]
    response = scim.get(f"/Users?cursor={cursor}")
    assert scim_body(response)["scimType"] == "invalidCursor"


def test_root_search_pages_by_start_index_only(scim, members):
    response = scim.post("/.search", {"cursor": ""})
    assert response.status_code == 400
    assert scim_body(response)["scimType"] == "invalidCursor"


def test_deep_start_index_pages(scim, members):
    body = scim_body(scim.get("/Users?startIndex=121&count=100"))
    assert [r["id"] for r in body["Resources"]] == members[120:220]
    assert (body["totalResults"], body["startIndex"], body["itemsPerPage"]) == (250, 121, 100)
    body = scim_body(scim.get("/Users?startIndex=241&count=100"))
    assert [r["id"] for r in body["Resources"]] == members[240:]
    assert body["totalResults"] == 250
    body = scim_body(scim.get("/Users?startIndex=400&count=100"))
    assert (body["totalResults"], body["itemsPerPage"]) == (250, 0)

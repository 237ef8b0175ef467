"""Deep ``startIndex`` pages start from a remembered position of the list order
(``orgs.list_positions``) instead of walking the whole OFFSET: every page is still exactly the
members an OFFSET would give, after creates, deletes and bulk inserts, with the cache lost or
unreachable, and the remembered positions stay with their own organization.

``STEP`` is made small so a few dozen members make many deep pages; the code is the same."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orgs import list_positions
from orgs.models import Membership, OrganizationMemberCount
from orgs.services import members_seed
from scim.throttling import ScimTokenThrottle
from tests.scim.conftest import scim_body

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_step(monkeypatch, cache_in_memory):
    monkeypatch.setattr(list_positions, "STEP", 7)
    list_positions._LOCAL.clear()  # this process's copies, as a new worker starts


def _expected(org) -> list[str]:
    return [str(pk) for pk in Membership.objects.filter(organization=org)
            .order_by("created_at", "id").values_list("pk", flat=True)]


def _page(scim, start: int, count: int) -> list[str]:
    body = scim_body(scim.get(f"/Users?startIndex={start}&count={count}"))
    return [r["id"] for r in body["Resources"]]


def _assert_every_page(scim, org, count: int = 5) -> None:
    expected = _expected(org)
    for start in range(1, len(expected) + 3):
        assert _page(scim, start, count) == expected[start - 1:start - 1 + count], start


def _version(org) -> int:
    return OrganizationMemberCount.objects.get(pk=org.pk).list_version


def test_every_deep_page_is_the_offset_page_through_changes(scim, other_scim, org, other_org,
                                                            actor):
    members_seed(organization=org, members=30, actor=actor)  # bulk: many share created_at
    members_seed(organization=other_org, members=40, actor=actor)
    for i in range(6):
        assert scim.post("/Users", {"userName": f"okta{i}@example.com"}).status_code == 201
    _assert_every_page(scim, org)
    assert cache.get(list_positions._key(org.pk, _version(org)))  # the pages used them

    # A delete in the middle shifts every later position: the version moves on.
    before = _version(org)
    middle = _expected(org)[12]
    assert scim.delete(f"/Users/{middle}").status_code == 204
    assert _version(org) > before
    _assert_every_page(scim, org, count=4)
    assert scim.post("/Users", {"userName": "late@example.com"}).status_code == 201
    _assert_every_page(scim, org, count=6)
    # The other organization's pages are its own.
    other = _expected(other_org)
    assert _page(other_scim, 15, 5) == other[14:19]


def test_pages_walk_when_the_positions_are_lost_or_wrong_version(scim, org, actor):
    members_seed(organization=org, members=25, actor=actor)
    expected = _expected(org)
    assert _page(scim, 16, 5) == expected[15:20]
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        assert _page(scim, 16, 5) == expected[15:20]  # this worker's own copy
    assert any("OFFSET" in q["sql"] and "> (" in q["sql"] for q in ctx.captured_queries)
    list_positions._LOCAL.clear()  # and another worker, with none
    assert _page(scim, 16, 5) == expected[15:20]
    # Positions remembered for an older version are never used for the new one.
    stale = list_positions._key(org.pk, _version(org))
    Membership.objects.filter(pk=expected[0]).delete()
    assert cache.get(stale) is not None
    assert _page(scim, 16, 5) == _expected(org)[15:20]


def test_pages_walk_when_the_cache_is_unreachable(scim, org, actor, settings, caplog,
                                                  monkeypatch):
    members_seed(organization=org, members=20, actor=actor)
    # The rate limit fails open for a while when the cache is down: not for later tests.
    monkeypatch.setattr(ScimTokenThrottle, "cache_down_until", 0.0)
    expected = _expected(org)
    settings.CACHES = {"default": {"BACKEND": "config.cache.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens
                                   "OPTIONS": {"socket_connect_timeout": 0.2}}}
    assert _page(scim, 10, 5) == expected[9:14]
    assert "List positions" in caplog.text


def test_a_deep_page_costs_the_same_queries_as_a_shallow_one(scim, org, actor):
    members_seed(organization=org, members=40, actor=actor)
    _page(scim, 30, 5)  # the positions are read once per version
    with CaptureQueriesContext(connection) as deep:
        assert len(_page(scim, 30, 5)) == 5
    with CaptureQueriesContext(connection) as shallow:
        assert len(_page(scim, 3, 5)) == 5
    # token, the list state (read once, for the start and the total), the page's members
    # (their ids selected by a subquery), their groups, the request log; a shallow page the
    # same, walked from the start
    assert len(deep) == len(shallow) == 5, [q["sql"][:80] for q in deep.captured_queries]
    ids_sql = next(q["sql"] for q in deep.captured_queries if "OFFSET" in q["sql"])
    assert '("created_at", "id") > (' in ids_sql  # it seeks past a position, not walks


def _member(org, email: str, created_at=None) -> Membership:
    """A member inserted as the services do, or with its own created_at."""
    member = Membership(organization=org, email=email, email_key=email)
    if created_at is not None:
        member.created_at = created_at
    Membership.objects.bulk_create([member])
    return member


def test_the_list_version_moves_only_when_positions_can_shift(org, other_org, actor):
    members_seed(organization=org, members=5, actor=actor)
    appended = _version(org)
    for i in range(3):  # created now: after every other member
        _member(org, f"new{i}@example.com")
    assert _version(org) == appended
    earliest = Membership.objects.filter(organization=org).order_by("created_at").first()
    _member(org, "early@example.com", earliest.created_at - dt.timedelta(seconds=1))
    assert _version(org) > appended  # before the others: every position after it shifts
    after_insert = _version(org)
    member = Membership.objects.filter(organization=org).first()
    member.given_name = "Renamed"
    member.save()
    assert _version(org) == after_insert  # an update moves no one
    other_before = _version(other_org)
    Membership.objects.filter(pk=member.pk).update(organization=other_org)
    assert _version(org) > after_insert and _version(other_org) > other_before
    moved = _version(org)
    Membership.objects.filter(organization=org).delete()
    assert _version(org) > moved


def test_appended_members_keep_the_positions_and_add_theirs(scim, org, actor):
    members_seed(organization=org, members=30, actor=actor)
    _assert_every_page(scim, org)
    version = _version(org)
    assert len(cache.get(list_positions._key(org.pk, version))) == 30 // 7
    for i in range(15):  # Okta's pushes: every member at the end
        assert scim.post("/Users", {"userName": f"okta{i}@example.com"}).status_code == 201
    assert _version(org) == version
    expected = _expected(org)
    with CaptureQueriesContext(connection) as ctx:
        assert _page(scim, 40, 5) == expected[39:44]
    reads = [q["sql"] for q in ctx.captured_queries if "RECURSIVE" in q["sql"]]
    assert len(reads) == 1 and reads[0].count(") > (") == 2  # from the last known position
    assert len(cache.get(list_positions._key(org.pk, version))) == 45 // 7
    _assert_every_page(scim, org)


def test_the_positions_are_every_steps_member_with_their_version(org, other_org, actor):
    members_seed(organization=org, members=36, actor=actor)
    members_seed(organization=other_org, members=50, actor=actor)
    version, positions = list_positions._read_positions(org.pk)
    assert version == _version(org)
    assert [str(p.pk) for p in positions] == _expected(org)[6::7]  # STEP is 7 here
    by_id = {m.pk: m.created_at for m in Membership.objects.filter(organization=org)}
    assert all(p.created_at == by_id[p.pk] for p in positions)
    assert list_positions._read_positions(uuid.UUID(int=1)) == (None, [])  # no such list



def test_while_one_request_reads_the_positions_the_others_wait_then_walk(scim, org, actor,
                                                                        monkeypatch):
    """The pages of an import come together: one request reads the positions; a page asked
    meanwhile, far past the known ones, waits for them, and walks its OFFSET (still right) if
    they do not come."""
    members_seed(organization=org, members=30, actor=actor)
    monkeypatch.setattr(list_positions, "WAIT_SECONDS", 0.02)
    monkeypatch.setattr(list_positions, "WALK_PAST", 0)
    key = list_positions._key(org.pk, _version(org))
    cache.add(f"{key}:reading", 1, 10)  # another request is reading them, and never finishes
    expected = _expected(org)
    with CaptureQueriesContext(connection) as ctx:
        assert _page(scim, 17, 5) == expected[16:21]
    assert cache.get(key) is None  # not read by this one
    assert not any("RECURSIVE" in q["sql"] for q in ctx.captured_queries)
    cache.delete(f"{key}:reading")
    assert _page(scim, 17, 5) == expected[16:21]
    assert cache.get(key) is not None


def test_a_page_waiting_for_the_positions_uses_them_once_stored(scim, org, actor, monkeypatch):
    monkeypatch.setattr(list_positions, "WALK_PAST", 0)
    members_seed(organization=org, members=30, actor=actor)
    version, positions = list_positions._read_positions(org.pk)
    key = list_positions._key(org.pk, version)
    cache.add(f"{key}:reading", 1, 10)
    naps = []

    def reader_finishes(seconds):  # the other request stores them while this one waits
        naps.append(seconds)
        cache.set(key, positions, 60)

    monkeypatch.setattr(list_positions.time, "sleep", reader_finishes)
    expected = _expected(org)
    with CaptureQueriesContext(connection) as ctx:
        assert _page(scim, 17, 5) == expected[16:21]
    assert naps == [list_positions.WAIT_POLL]
    assert not any("RECURSIVE" in q["sql"] for q in ctx.captured_queries)
    ids_sql = next(q["sql"] for q in ctx.captured_queries if "OFFSET" in q["sql"])
    assert '("created_at", "id") > (' in ids_sql  # it started from a position


def test_a_page_a_few_steps_past_the_known_positions_walks_instead_of_waiting(
        scim, org, actor, monkeypatch):
    """While another request reads on, a page at most ``WALK_PAST`` positions past the known
    ones does not wait: it walks from the last known position (an import's next pages, a
    step deeper each); a page farther past them waits."""
    monkeypatch.setattr(list_positions, "READ_AHEAD", 0)
    members_seed(organization=org, members=60, actor=actor)
    expected = _expected(org)
    key = list_positions._key(org.pk, _version(org))
    assert _page(scim, 15, 5) == expected[14:19]  # reads the first two positions
    assert len(cache.get(key)) == 2
    cache.add(f"{key}:reading", 1, 10)  # another request is reading on, and never finishes
    naps = []
    monkeypatch.setattr(list_positions.time, "sleep", naps.append)
    monkeypatch.setattr(list_positions, "WAIT_SECONDS", 0.01)
    start = 1 + (2 + list_positions.WALK_PAST) * 7  # WALK_PAST positions past the known two
    with CaptureQueriesContext(connection) as ctx:
        assert _page(scim, start, 5) == expected[start - 1:start + 4]
    assert naps == []
    ids_sql = next(q["sql"] for q in ctx.captured_queries if "OFFSET" in q["sql"])
    assert '("created_at", "id") > (' in ids_sql  # from the last known position
    assert f"OFFSET {list_positions.WALK_PAST * 7})" in ids_sql
    assert _page(scim, start + 7, 5) == expected[start + 6:start + 11]  # one farther: waits
    assert naps


def test_positions_are_read_only_as_deep_as_the_pages_go(scim, org, actor, monkeypatch):
    """An import's first page reads the positions it needs (and ``READ_AHEAD`` more), not the
    whole list's: its next, deeper pages read on from the last one."""
    monkeypatch.setattr(list_positions, "READ_AHEAD", 1)
    members_seed(organization=org, members=60, actor=actor)
    expected = _expected(org)
    key = list_positions._key(org.pk, _version(org))
    assert _page(scim, 16, 5) == expected[15:20]  # needs the 2nd position
    assert [str(p.pk) for p in cache.get(key)] == expected[6:21:7]  # and one more
    assert _page(scim, 51, 5) == expected[50:55]  # needs the 7th: reads on from the 3rd
    assert [str(p.pk) for p in cache.get(key)] == expected[6::7]  # the 8th is the last
    _assert_every_page(scim, org)

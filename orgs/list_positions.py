"""Where a deep page of an organization's member list starts, without walking the list to it.

A ``startIndex`` page is an OFFSET into the members in (created_at, id) order: the database
walks every entry before it, so at 100,000 members the last page walks 100,000 index entries
(about 10 ms of PostgreSQL CPU) and an import of every page walks the directory's square.
Here every ``STEP``-th position of the order is remembered in the cache, under the version of
the list that the database bumps whenever a member is inserted, deleted or moved
(``OrganizationMemberCount.list_version``, migration 0008). A page then starts after the
remembered position below it and walks fewer than ``STEP`` entries.

The positions are read in one statement together with the version they belong to, so they are
never stored under a version they do not match. A page reads the version in a statement of its
own before its rows: a member inserted or deleted between the two shifts that one page by the
change, exactly as it shifts the next OFFSET page of the same walk. A change makes the next
deep page read the positions again (one walk of the index, ~8 ms at 100,000 members); pages
shallower than ``STEP`` never use them. One request at a time reads them, and a page asked
meanwhile waits for them (up to ``WAIT_SECONDS``) rather than walk; each worker keeps
the ones it used (they never change for their version). The cache may lose them at any time: a
page then walks as before. Nothing here is a security decision: every read stays scoped to the
organization.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

from django.core.cache import cache
from django.db import connections, router

from orgs.models import Membership, OrganizationMemberCount
from orgs.selectors import membership_list_state

logger = logging.getLogger(__name__)

STEP = 1000
TTL = 3600  # a bound on what a restored backup (whose versions may repeat) could reuse
READING_SECONDS = 10  # how long one request's claim to read the positions holds the others off
# How long a page waits for the positions another request is reading before it walks its
# OFFSET instead. The read takes ~8 ms at 100,000 members; walking costs as much for every
# waiting page at once, on the same cores, and slows the read down.
WAIT_SECONDS = 0.1
WAIT_POLL = 0.004


class Position(NamedTuple):
    """A member's place in the list order."""

    created_at: datetime
    pk: uuid.UUID


class PageStart(NamedTuple):
    """A page starts ``skip`` members after ``after`` (from the list's start when None)."""

    after: Position | None
    skip: int


def _key(organization_id: uuid.UUID, version: int) -> str:
    return f"orgs:list-positions:{organization_id.hex}:{version}"


def _read_positions(organization_id: uuid.UUID) -> tuple[int | None, list[Position]]:
    """Every ``STEP``-th member's position and the list version they belong to, in one
    statement (one snapshot). It hops from position to position, each hop an index-only walk
    of ``STEP`` entries from the last (a recursive query): one walk of the list in all, about
    a third of what numbering every row with a window function costs."""
    conn = connections[router.db_for_read(Membership)]
    q = conn.ops.quote_name
    meta = Membership._meta
    table, pk = q(meta.db_table), q(meta.pk.column)
    org_column, created = q("organization_id"), q("created_at")
    counts = q(OrganizationMemberCount._meta.db_table)
    org = meta.get_field("organization").target_field.get_db_prep_value(organization_id, conn)
    # Only quoted names of the models go into the text; every value is a parameter.
    sql = f"""
        WITH RECURSIVE hops(n, created_at, id) AS (
            SELECT 1, created_at, id FROM (
                SELECT {created} AS created_at, {pk} AS id FROM {table}
                WHERE {org_column} = %s ORDER BY {created}, {pk} LIMIT 1 OFFSET %s
            ) first_hop
            UNION ALL
            SELECT h.n + 1, m.{created}, m.{pk} FROM hops h JOIN {table} m ON m.{pk} = (
                SELECT w.{pk} FROM {table} w
                WHERE w.{org_column} = %s AND (w.{created}, w.{pk}) > (h.created_at, h.id)
                ORDER BY w.{created}, w.{pk} LIMIT 1 OFFSET %s
            )
        )
        SELECT (SELECT list_version FROM {counts} WHERE {org_column} = %s), created_at, id
        FROM hops ORDER BY n
    """  # noqa: S608
    with conn.cursor() as cursor:
        cursor.execute(sql, [org, STEP - 1, org, STEP - 1, org])
        rows = cursor.fetchall()
    if not rows:
        return None, []
    return rows[0][0], [Position(_datetime(at, conn), _uuid(pk)) for _, at, pk in rows]


def _datetime(value: Any, conn: Any) -> datetime:
    """A timestamp as the ORM gives it (SQLite's driver returns text or a naive datetime;
    its backend makes it aware)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    return conn.ops.convert_datetimefield_value(value, None, conn)


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


# The positions this process used last, by key, with when it got them: the ones of a version
# never change, so a worker reuses them for TTL without asking the cache again (a page of an
# import asks for them every time).
_LOCAL: OrderedDict[str, tuple[float, list[Position]]] = OrderedDict()
_LOCAL_LOCK = threading.Lock()  # a threaded server (runserver) shares it between requests
LOCAL_KEYS = 32


def _cached(key: str) -> list[Position] | None:
    with _LOCAL_LOCK:
        local = _LOCAL.get(key)
        if local is not None and time.monotonic() - local[0] < TTL:
            _LOCAL.move_to_end(key)
            return local[1]
    try:
        positions = cache.get(key)
    except Exception:  # noqa: BLE001 - the cache is for speed only: the page walks instead
        logger.warning("List positions unreadable from the cache.", exc_info=True)
        return None
    if positions is not None:
        _remember(key, positions)
    return positions


def _remember(key: str, positions: list[Position]) -> None:
    with _LOCAL_LOCK:
        _LOCAL[key] = (time.monotonic(), positions)
        _LOCAL.move_to_end(key)
        while len(_LOCAL) > LOCAL_KEYS:
            _LOCAL.popitem(last=False)


def _store(key: str, positions: list[Position]) -> None:
    _remember(key, positions)
    try:
        cache.set(key, positions, TTL)
    except Exception:  # noqa: BLE001 - as in _cached
        logger.warning("List positions not stored in the cache.", exc_info=True)


def _claim(key: str) -> bool:
    """Whether this request is the one to read the positions of ``key``: while one is at it,
    the others walk their OFFSET rather than all read them at once (an import's first pages
    come together, one per worker). A lost claim only delays the next reader; a cache that
    cannot be reached lets every request read them, as without the claim."""
    try:
        return bool(cache.add(f"{key}:reading", 1, READING_SECONDS))
    except Exception:  # noqa: BLE001 - as in _cached
        return True


def _wait_for(key: str) -> list[Position] | None:
    """The positions another request is reading, once it has stored them; None if they do
    not come within ``WAIT_SECONDS``."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(WAIT_POLL)
        positions = _cached(key)
        if positions is not None:
            return positions
    return None


def page_start(organization_id: uuid.UUID, offset: int,
               state: Callable[[], tuple[int, int | None]] | None = None) -> PageStart:
    """Where the page ``offset`` members into the organization's list starts; ``state``
    gives the list's ``membership_list_state`` when the caller keeps it (read only for a page
    past the first ``STEP``)."""
    if offset < STEP:
        return PageStart(None, offset)
    _, version = (state() if state else
                  membership_list_state(organization_id=organization_id))
    if version is None:
        return PageStart(None, offset)
    key = _key(organization_id, version)
    positions = _cached(key)
    if positions is None and not _claim(key):
        positions = _wait_for(key)  # another request is reading them
        if positions is None:
            return PageStart(None, offset)
    if positions is None:
        read_version, positions = _read_positions(organization_id)
        if read_version is None:
            return PageStart(None, offset)
        _store(_key(organization_id, read_version), positions)
        if read_version != version:  # changed in between: these are the newer ones
            return PageStart(None, offset)
    known = min(offset // STEP, len(positions))
    if not known:
        return PageStart(None, offset)
    return PageStart(positions[known - 1], offset - known * STEP)


def page_ids(organization_id: uuid.UUID, start: PageStart, count: int) -> list[uuid.UUID]:
    """The ids of the ``count`` members from ``start`` on, in list order: an index-only walk
    from the position (a row-value comparison the index seeks to, on both databases, even
    through a bulk insert's thousands of equal ``created_at``).

    Plain SQL because its text never changes: LIMIT and OFFSET are parameters, so no page
    compiles it again and PostgreSQL plans it once per connection (the ORM writes them into
    the SQL, which made every deep page a new statement to compile and plan)."""
    conn = connections[router.db_for_read(Membership)]
    q = conn.ops.quote_name
    meta = Membership._meta
    pk, created = meta.pk, meta.get_field("created_at")
    org = meta.get_field("organization").target_field
    where = f"{q('organization_id')} = %s"
    params: list = [org.get_db_prep_value(organization_id, conn)]
    if start.after is not None:
        where += f" AND ({q('created_at')}, {q(pk.column)}) > (%s, %s)"
        params += [created.get_db_prep_value(start.after.created_at, conn),
                   pk.get_db_prep_value(start.after.pk, conn)]
    # Only quoted names of the model go into the text; every value is a parameter.
    sql = (f"SELECT {q(pk.column)} FROM {q(meta.db_table)} WHERE {where} "  # noqa: S608
           f"ORDER BY {q('created_at')}, {q(pk.column)} LIMIT %s OFFSET %s")
    with conn.cursor() as cursor:
        cursor.execute(sql, [*params, count, start.skip])
        return [_uuid(value) for value, in cursor.fetchall()]


"""Where a deep page of an organization's member list starts, without walking the list to it.

A ``startIndex`` page is an OFFSET into the members in (created_at, id) order: the database
walks every entry before it, so at 100,000 members the last page walks 100,000 index entries
(about 10 ms of PostgreSQL CPU) and an import of every page walks the directory's square.
Here every ``STEP``-th position of the order is remembered in the cache, under the version of
the list that the database bumps whenever positions can shift: a member deleted or moved out,
or inserted anywhere but at the end (``OrganizationMemberCount.list_version``, migrations
0008 and 0009). A page then starts after the remembered position below it and walks fewer
than ``STEP`` entries.

The positions are read in one statement together with the version they belong to, so they are
never stored under a version they do not match. A page reads the version in a statement of its
own before its rows: a member inserted or deleted between the two shifts that one page by the
change, exactly as it shifts the next OFFSET page of the same walk. Members created by an IdP's
pushes are appended: the version stays, and a page past the remembered positions reads only
the ones after the last (a few hops). A change that shifts positions makes the next deep page
read them all again (one walk of the index, ~8 ms at 100,000 members); pages shallower than
``STEP`` never use them. One request at a time reads them, and a page asked meanwhile waits
for them (up to ``WAIT_SECONDS``) rather than walk, unless it is only a few steps past the
known ones (``WALK_PAST``); each worker keeps the ones it used. The
cache may lose them at any time: a page then walks as before. Nothing here is a security
decision: every read stays scoped to the organization.
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
from django.db.models.expressions import RawSQL

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
# Positions read past the ones a page needs: an import's next pages, deeper one by one, then
# find theirs (each hop walks STEP index entries: ~0.1 ms).
READ_AHEAD = 10
WAIT_POLL = 0.004
# A page at most this many positions past the known ones walks from the last known one rather
# than wait for another request to read them: walking 4,000 index entries costs about 0.4 ms,
# less than one poll of the wait. It is an import's common case: the clients' next pages, a
# step deeper each, come while one of them reads on.
WALK_PAST = 4


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


def _read_positions(organization_id: uuid.UUID, after: Position | None = None,
                    limit: int = 1_000_000) -> tuple[int | None, list[Position]]:
    """Every ``STEP``-th member's position past ``after`` (from the list's start when None),
    at most ``limit`` of them, and the list version they belong to, in one statement (one
    snapshot); (None, []) for an organization without a count. It hops from position to
    position, each hop an index-only walk of ``STEP`` entries from the last (a recursive
    query): one walk of the list in all, about a third of what numbering every row with a
    window function costs, and only as deep as a page needs."""
    conn = connections[router.db_for_read(Membership)]
    q = conn.ops.quote_name
    meta = Membership._meta
    table, pk = q(meta.db_table), q(meta.pk.column)
    org_column, created = q("organization_id"), q("created_at")
    counts = q(OrganizationMemberCount._meta.db_table)
    org = meta.get_field("organization").target_field.get_db_prep_value(organization_id, conn)
    past, past_params = _past(after, conn)
    # Only quoted names of the models go into the text; every value is a parameter.
    sql = f"""
        WITH RECURSIVE hops(n, created_at, id) AS (
            SELECT 1, created_at, id FROM (
                SELECT {created} AS created_at, {pk} AS id FROM {table}
                WHERE {org_column} = %s{past} ORDER BY {created}, {pk} LIMIT 1 OFFSET %s
            ) first_hop
            UNION ALL
            SELECT h.n + 1, m.{created}, m.{pk} FROM hops h JOIN {table} m ON m.{pk} = (
                SELECT w.{pk} FROM {table} w
                WHERE w.{org_column} = %s AND (w.{created}, w.{pk}) > (h.created_at, h.id)
                ORDER BY w.{created}, w.{pk} LIMIT 1 OFFSET %s
            )
            WHERE h.n < %s
        )
        SELECT v.list_version, h.created_at, h.id
        FROM (SELECT list_version FROM {counts} WHERE {org_column} = %s) v
        LEFT JOIN hops h ON 1 = 1 ORDER BY h.n
    """  # noqa: S608
    with conn.cursor() as cursor:
        cursor.execute(sql, [org, *past_params, STEP - 1, org, STEP - 1, limit, org])
        rows = cursor.fetchall()
    if not rows:
        return None, []
    return rows[0][0], [Position(_datetime(at, conn), _uuid(pk)) for _, at, pk in rows
                        if pk is not None]


def _datetime(value: Any, conn: Any) -> datetime:
    """A timestamp as the ORM gives it (SQLite's driver returns text or a naive datetime;
    its backend makes it aware)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    return conn.ops.convert_datetimefield_value(value, None, conn)


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


# The positions this process used last, by key, with when it got them. A version's positions
# never change (a list whose members are only appended keeps its version, and its later
# positions are added to the end), so a worker reuses them for TTL without asking the cache
# again (a page of an import asks for them every time).
_LOCAL: OrderedDict[str, tuple[float, list[Position]]] = OrderedDict()
_LOCAL_LOCK = threading.Lock()  # a threaded server (runserver) shares it between requests
LOCAL_KEYS = 32


def _cached(key: str, wanted: int) -> list[Position] | None:
    """The positions of ``key`` this worker has, or the cache's when those are fewer than
    ``wanted`` (another worker may have read more of a list that grew)."""
    with _LOCAL_LOCK:
        local = _LOCAL.get(key)
        if local is not None and time.monotonic() - local[0] >= TTL:
            local = None
        elif local is not None:
            _LOCAL.move_to_end(key)
    if local is not None and len(local[1]) >= wanted:
        return local[1]
    try:
        positions = cache.get(key)
    except Exception:  # noqa: BLE001 - the cache is for speed only: the page walks instead
        logger.warning("List positions unreadable from the cache.", exc_info=True)
        positions = None
    if positions is not None and (local is None or len(positions) > len(local[1])):
        _remember(key, positions)
        return positions
    return local[1] if local is not None else None


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
    the others wait for them rather than all read them at once (an import's first pages come
    together, one per worker). A lost claim only delays the next reader; a cache that cannot
    be reached lets every request read them, as without the claim."""
    try:
        return bool(cache.add(f"{key}:reading", 1, READING_SECONDS))
    except Exception:  # noqa: BLE001 - as in _cached
        return True


def _release(key: str) -> None:
    """The positions are stored: a later read (of the list grown since) may start."""
    try:
        cache.delete(f"{key}:reading")
    except Exception:  # noqa: BLE001 - as in _cached; the claim expires by itself
        logger.warning("List positions' reading claim not released.", exc_info=True)


def _wait_for(key: str, known: int) -> list[Position] | None:
    """More than ``known`` positions of ``key``, once the request reading them has stored
    them; None if they do not come within ``WAIT_SECONDS``."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(WAIT_POLL)
        positions = _cached(key, known + 1)
        if positions is not None and len(positions) > known:
            return positions
    return None


def _more_positions(organization_id: uuid.UUID, version: int, known: list[Position],
                    wanted: int) -> list[Position] | None:
    """``known`` and the positions past them, up to the ``wanted``-th and ``READ_AHEAD``
    more, read by this request or by the one reading them already; None when the list
    changed (another version) in between."""
    key = _key(organization_id, version)
    for _ in range(2):  # if the positions another request read stop short of ours, read on
        if _claim(key):
            try:
                read_version, more = _read_positions(
                    organization_id, known[-1] if known else None,
                    wanted - len(known) + READ_AHEAD)
                if read_version != version:  # changed in between: the list is another one
                    return None
                positions = known + more
                _store(key, positions)
                return positions
            finally:
                _release(key)
        if wanted - len(known) <= WALK_PAST:
            return known  # the page walks the few steps past the known ones
        waited = _wait_for(key, len(known))
        if waited is None:
            return known  # the page walks past the known ones
        known = waited
        if len(known) >= wanted:
            return known
    return known


def page_start(organization_id: uuid.UUID, offset: int,
               state: Callable[[], tuple[int, int | None]] | None = None) -> PageStart:
    """Where the page ``offset`` members into the organization's list starts; ``state``
    gives the list's ``membership_list_state`` when the caller keeps it (read only for a page
    past the first ``STEP``). Positions past the ones remembered (members appended since they
    were read) are read from the last one on."""
    if offset < STEP:
        return PageStart(None, offset)
    members, version = (state() if state else
                        membership_list_state(organization_id=organization_id))
    if version is None:
        return PageStart(None, offset)
    wanted = min(offset, members) // STEP
    positions = _cached(_key(organization_id, version), wanted)
    if positions is None or len(positions) < wanted:
        positions = _more_positions(organization_id, version, positions or [], wanted)
        if positions is None:
            return PageStart(None, offset)
    known = min(offset // STEP, len(positions))
    if not known:
        return PageStart(None, offset)
    return PageStart(positions[known - 1], offset - known * STEP)


def _past(after: Position | None, conn: Any) -> tuple[str, list[Any]]:
    """The condition (with a leading `` AND``) and parameters of the members after ``after``
    in the list order: a row-value comparison the (organization, created_at, id) index seeks
    to, on both databases, even through a bulk insert's thousands of equal ``created_at``.
    Nothing for None (the list's start)."""
    if after is None:
        return "", []
    q = conn.ops.quote_name
    meta = Membership._meta
    return (f" AND ({q('created_at')}, {q(meta.pk.column)}) > (%s, %s)",
            [meta.get_field("created_at").get_db_prep_value(after.created_at, conn),
             meta.pk.get_db_prep_value(after.pk, conn)])


def page_ids_query(organization_id: Any, after: Position | None, count: Any,
                   skip: Any) -> RawSQL:
    """A subquery, for ``pk__any=``, of the ids of the ``count`` members ``skip`` past ``after``
    (from the list's start when None), in list order: an index-only walk from the position.

    Plain SQL because its text never changes: LIMIT and OFFSET are parameters, so no page
    compiles it again and PostgreSQL plans it once per connection (the ORM writes them into
    the SQL, which made every deep page a new statement to compile and plan)."""
    conn = connections[router.db_for_read(Membership)]
    q = conn.ops.quote_name
    meta = Membership._meta
    org = meta.get_field("organization").target_field.get_db_prep_value(organization_id, conn)
    past, past_params = _past(after, conn)
    pk, created = q(meta.pk.column), q("created_at")
    # Only quoted names of the model go into the text; every value is a parameter.
    sql = (f"SELECT {pk} FROM {q(meta.db_table)} WHERE {q('organization_id')} = %s{past} "  # noqa: S608
           f"ORDER BY {created}, {pk} LIMIT %s OFFSET %s")
    return RawSQL(sql, [org, *past_params, count, skip])  # noqa: S611 - names only

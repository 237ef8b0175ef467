"""Lists and projections as RFC 7644 §3.4.2 describes them: pure functions, no database.

``attributes``/``excludedAttributes`` (§3.4.2.5), ``startIndex``/``count`` paging (§3.4.2.4),
RFC 9865's cursors, and the ListResponse document. Shared by the resource views, ``/.search``
and the discovery lists.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings

from scim.errors import bad_request
from scim.schemas import ENTERPRISE_SCHEMA, LIST_RESPONSE

ALWAYS_RETURNED = {"id", "schemas", "meta"}
MAX_START_INDEX = 2**31  # beyond any organization; keeps OFFSET inside every database's range


def attribute_names(raw: Any, schema_id: str) -> list[tuple[str, str | None]]:
    """``attributes``/``excludedAttributes`` as (top-level key, sub-attribute) pairs."""
    if raw is None:
        return []
    if isinstance(raw, list):
        items = [str(i) for i in raw]
    elif isinstance(raw, str):
        items = raw.split(",")
    else:
        raise bad_request("attributes must be a comma-separated list.")
    names = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        lowered = item.lower()
        if lowered.startswith(ENTERPRISE_SCHEMA.lower()):
            rest = item[len(ENTERPRISE_SCHEMA):].lstrip(":")
            names.append((ENTERPRISE_SCHEMA, rest or None))
            continue
        if lowered.startswith(schema_id.lower() + ":"):
            item = item[len(schema_id) + 1:]
        top, _, sub = item.partition(".")
        names.append((top, sub or None))
    return names


def _only(value: dict[str, Any], subs: set[str]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if k.lower() in subs}


def _without(value: dict[str, Any], sub: str) -> dict[str, Any]:
    return {k: v for k, v in value.items() if k.lower() != sub}


def project(
    doc: dict[str, Any], attributes: list[tuple[str, str | None]],
    excluded: list[tuple[str, str | None]],
) -> dict[str, Any]:
    """Apply ``attributes`` / ``excludedAttributes`` (RFC 7644 §3.4.2.5); id, schemas and meta
    are always returned. A sub-attribute (``name.givenName``, ``phoneNumbers.value``) selects
    or drops that key in the complex value, or in each item of a multi-valued one. With
    neither, ``doc`` itself (what IdPs ask for: every document of a page, as rendered)."""
    if not attributes and not excluded:
        return doc
    by_lower = {k.lower(): k for k in doc}
    if attributes:
        out = {k: v for k, v in doc.items() if k in ALWAYS_RETURNED}
        wanted: dict[str, set[str] | None] = {}  # key -> sub-attributes, None for all of it
        for top, sub in attributes:
            key = by_lower.get(top.lower())
            if key is None or key in ALWAYS_RETURNED:
                continue
            if sub is None:
                wanted[key] = None
            elif key not in wanted or wanted[key] is not None:
                wanted.setdefault(key, set()).add(sub.lower())
        for key, subs in wanted.items():
            value = doc[key]
            if subs is None:
                out[key] = value
            elif isinstance(value, dict):
                if picked := _only(value, subs):
                    out[key] = picked
            elif isinstance(value, list):
                items = [_only(i, subs) if isinstance(i, dict) else i for i in value]
                if items := [i for i in items if i]:
                    out[key] = items
            else:
                out[key] = value
        return out
    out = dict(doc)
    for top, sub in excluded:
        key = by_lower.get(top.lower())
        if key is None or key in ALWAYS_RETURNED or key not in out:
            continue
        value = out[key]
        if sub is None:
            out.pop(key)
        elif isinstance(value, dict):
            out[key] = _without(value, sub.lower())
        elif isinstance(value, list):
            out[key] = [_without(i, sub.lower()) if isinstance(i, dict) else i for i in value]
    return out


_INTEGER = re.compile(r"\s*([+-]?)0*([0-9]+)\s*")
_HUGE = 10**20  # past any page or offset; paging clamps it like any other large value


def int_param(raw: Any, name: str) -> int | None:
    """An integer from a query string or a JSON body. Integral JSON numbers (``2``, ``2.0``,
    ``1e20``) and decimal strings are integers, however large (``paging`` clamps them);
    booleans, fractions, non-finite numbers (``1e400`` reads as infinity) and other text are
    ``invalidValue``."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, float) and math.isfinite(raw) and raw.is_integer():
        return int(raw)
    match = _INTEGER.fullmatch(raw) if isinstance(raw, str) else None
    if match is None:
        raise bad_request(f"{name} must be an integer.")
    sign, digits = match.groups()
    value = int(digits) if len(digits) <= 20 else _HUGE  # int() of 5,000 digits is refused
    return -value if sign == "-" else value


def paging(source: dict[str, Any]) -> tuple[int, int]:
    """startIndex and count as RFC 7644 §3.4.2.4 reads them: below 1 is 1, negative count is
    0, and count is capped at the advertised maxResults."""
    start = int_param(source.get("startIndex"), "startIndex") or 1
    start = min(max(start, 1), MAX_START_INDEX)
    count = int_param(source.get("count"), "count")
    max_results = settings.SCIM_MAX_RESULTS
    count = max_results if count is None else max(0, min(count, max_results))
    return start, count


def cursor_paging(source: dict[str, Any]) -> tuple[str, int]:
    """The cursor and count of a cursor-paged request (RFC 9865 §2): the cursor is empty for
    the first page; the count is capped at maxResults like startIndex paging's, and below 1
    it is ``invalidCount`` (a cursor page cannot be empty)."""
    if source.get("startIndex") not in (None, ""):
        raise bad_request("Use either startIndex or cursor paging, not both.")
    cursor = source.get("cursor")
    if cursor is None:
        cursor = ""
    if not isinstance(cursor, str):
        raise bad_request("cursor must be a string.", "invalidCursor")
    count = int_param(source.get("count"), "count")
    max_results = settings.SCIM_MAX_RESULTS
    if count is not None and count < 1:
        raise bad_request(f"count must be between 1 and {max_results}.", "invalidCount")
    return cursor, max_results if count is None else min(count, max_results)


@dataclass(frozen=True)
class Position:
    """Where a cursor page ends in the (created_at, id) order lists are kept in, and the
    list's total when the walk began (later pages report it rather than count again)."""

    created_at: datetime
    pk: uuid.UUID
    total: int


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def cursor_encode(resource: str, position: Position) -> str:
    """An opaque cursor, in RFC 3986 unreserved characters (base64url without padding). It
    holds a position only: no state is kept per cursor, so cursors never expire, and the
    query that reads from it is scoped to the caller's organization like every other."""
    micros = (position.created_at - _EPOCH) // timedelta(microseconds=1)
    raw = f"{resource[0]}{micros}.{position.pk.hex}.{position.total}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(resource: str, cursor: str) -> Position:
    """The position a ``nextCursor`` we gave names; anything else is ``invalidCursor``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        kind, micros, pk, total = raw[:1], *raw[1:].split(".")
        if kind != resource[0] or not (micros + total).isdigit() or len(micros + total) > 30:
            raise ValueError(raw)
        return Position(_EPOCH + timedelta(microseconds=int(micros)), uuid.UUID(hex=pk),
                        int(total))
    except (ValueError, UnicodeDecodeError, binascii.Error, OverflowError):
        raise bad_request("The cursor is not one this server gave: start again with an empty "
                          "cursor and follow nextCursor.", "invalidCursor") from None


def list_response(resources: list[dict[str, Any]], total: int, start: int) -> dict[str, Any]:
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


def list_document(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """A discovery list: everything on one page."""
    return list_response(resources, len(resources), 1)


def cursor_list_response(
    resources: list[dict[str, Any]], total: int, next_cursor: str | None
) -> dict[str, Any]:
    """A cursor-paged ListResponse (RFC 9865 §2): ``nextCursor`` on every page but the last."""
    doc: dict[str, Any] = {
        "schemas": [LIST_RESPONSE], "totalResults": total, "itemsPerPage": len(resources),
    }
    if next_cursor is not None:
        doc["nextCursor"] = next_cursor
    doc["Resources"] = resources
    return doc

"""The SCIM request log's writes: one row per request, and the pruning of old rows.

The rows are a log of the protocol, not changes an admin makes, so they write no audit event
of their own; the audit events a request caused carry the same ``request_id``.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from django.db import connection

from scim.models import ScimRequest


@dataclass(frozen=True)
class RequestRecord:
    """What ``scim.request_log`` captured of one request, already masked and cut to size."""

    organization_id: Any
    created_at: dt.datetime
    request_id: str
    method: str
    path: str
    query: str
    resource: str
    status: int
    duration_ms: int
    token_prefix: str
    authorization: str
    client_ip: str | None
    user_agent: str
    error_type: str
    error_detail: str
    request_body: str
    request_truncated: bool
    response_body: str
    response_truncated: bool


def scim_request_record(record: RequestRecord) -> None:
    """Store one request: a single INSERT.

    On PostgreSQL the INSERT commits asynchronously: it sets ``synchronous_commit`` off for its
    own transaction (``set_config(..., true)`` in the statement itself, so it stays one round
    trip), and the request does not wait for the WAL flush, which is most of what a commit
    costs. A database crash can then lose the last fraction of a second of log rows, never
    corrupt anything; every other write of Roster stays synchronous. Inside a caller's
    transaction (a test's) it is a plain INSERT: the setting would last for the caller's
    whole transaction.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        ScimRequest(**vars(record)).save(force_insert=True)
        return
    sql, fields = _async_insert()
    # The record's names are the columns' (``organization_id``): no model instance is built,
    # and text, numbers and flags go to the driver as they are.
    with connection.cursor() as cursor:
        cursor.execute(sql, [getattr(record, name) if plain
                             else field.get_db_prep_save(getattr(record, name), connection)
                             for field, name, plain in fields])


@functools.cache
def _async_insert() -> tuple[str, list[Any]]:
    """PostgreSQL: INSERT ... SELECT from a CTE that turns synchronous_commit off for this
    statement's transaction. Built from the model, so it follows the columns."""
    fields = [f for f in ScimRequest._meta.concrete_fields if not f.primary_key]
    plain = {"CharField", "TextField", "BooleanField", "PositiveIntegerField",
             "PositiveSmallIntegerField"}  # whose database value is the Python value
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    values = ", ".join(f"%s::{f.db_type(connection)}" for f in fields)
    return (  # names and types from the model, values as parameters
        "WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true)) "  # noqa: S608
        f"INSERT INTO {quote(ScimRequest._meta.db_table)} ({columns}) "
        f"SELECT {values} FROM async_commit",
        [(f, f.attname, f.get_internal_type() in plain) for f in fields],
    )


def scim_request_log_prune(*, older_than: dt.datetime, batch_size: int = 5000) -> int:
    """Delete the rows from before ``older_than``, ``batch_size`` at a time (each batch its own
    short statement, so a large backlog never holds long locks). Returns how many went."""
    deleted = 0
    while True:
        ids = list(
            ScimRequest.objects.filter(created_at__lt=older_than)
            .order_by("created_at").values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return deleted
        count, _ = ScimRequest.objects.filter(pk__in=ids).delete()
        deleted += count

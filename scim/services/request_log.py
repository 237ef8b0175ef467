"""The SCIM request log's writes: one row per request, and the pruning of old rows.

The rows are a log of the protocol, not changes an admin makes, so they write no audit event
of their own; the audit events a request caused carry the same ``request_id``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

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


def scim_request_record(record: RequestRecord) -> ScimRequest:
    """Store one request: a single INSERT, outside any transaction of the request's own."""
    return ScimRequest.objects.create(**asdict(record))


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

"""``manage.py scim_requests --org <slug> | --unattributed [--status 4xx|404] [--since
2026-11-01|24h] [--json] [--limit N]``: read the SCIM request log, newest first.

``--unattributed`` lists the requests no organization could be named for (no token, or an
unknown one whose prefix is no organization's): they are kept for operators only. The table
leaves the bodies out; ``--json`` prints one object a line with the (masked) bodies. Cells
have control characters escaped, as in ``audit_log``: paths, agents and details come from
clients.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone

from orgs.management.commands._base import (
    ListingCommand,
    get_org,
    parse_limit,
    parse_moment,
    table_cell,
)
from scim.models import ScimRequest
from scim.selectors import STATUS_RE, RequestFilters, scim_request_list

RELATIVE = re.compile(r"(\d{1,6})([smhd])")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
COLUMNS = ("created_at", "status", "method", "path", "duration_ms", "token_prefix",
           "client_ip", "error_detail", "request_id")


def parse_since(value: str) -> datetime:
    """``24h``, ``30m``, ``7d``, ``90s`` ago, or an ISO date or datetime."""
    relative = RELATIVE.fullmatch(value.strip().lower())
    if relative:
        amount, unit = relative.groups()
        return timezone.now() - timedelta(**{UNITS[unit]: int(amount)})
    try:
        return parse_moment(value, "--since", end_of_day=False)
    except CommandError:
        raise CommandError(
            f"--since {value!r} is neither a duration (e.g. 24h, 30m, 7d) nor an ISO date or "
            "datetime (e.g. 2026-11-01 or 2026-11-01T09:30:00Z)."
        ) from None


def parse_status(value: str) -> str:
    status = value.strip().lower()
    if not STATUS_RE.fullmatch(status):
        raise CommandError(
            f"--status must be a class such as 4xx or a code such as 404, not {value!r}."
        )
    return status


def _row(record: ScimRequest, org_slug: str | None, *, bodies: bool) -> dict[str, Any]:
    row: dict[str, Any] = {
        "created_at": record.created_at.isoformat(),
        "organization": org_slug,
        "request_id": record.request_id,
        "method": record.method,
        "path": record.path,
        "query": record.query,
        "resource": record.resource,
        "status": record.status,
        "duration_ms": record.duration_ms,
        "token_prefix": record.token_prefix,
        "authorization": record.authorization,
        "client_ip": record.client_ip,
        "user_agent": record.user_agent,
        "error_type": record.error_type,
        "error_detail": record.error_detail,
    }
    if bodies:
        row |= {"request_body": record.request_body,
                "request_truncated": record.request_truncated,
                "response_body": record.response_body,
                "response_truncated": record.response_truncated}
    return row


def _table_line(row: dict[str, Any]) -> str:
    path = row["path"] + (f"?{row['query']}" if row["query"] else "")
    cells = (row["created_at"], str(row["status"]), row["method"], path,
             str(row["duration_ms"]), row["token_prefix"], row["client_ip"] or "",
             row["error_detail"], row["request_id"])
    return "\t".join(table_cell(c) for c in cells)


class Command(ListingCommand):
    help = "List an organization's SCIM requests (the request log), newest first."
    noun = "SCIM requests"
    columns = COLUMNS

    def add_arguments(self, parser: Any) -> None:
        scope = parser.add_mutually_exclusive_group(required=True)
        scope.add_argument("--org", help="organization slug")
        scope.add_argument("--unattributed", action="store_true",
                           help="requests no organization could be named for")
        parser.add_argument("--status", default="", help="a class (2xx, 4xx, 5xx) or a code")
        parser.add_argument("--since", help="e.g. 24h, 30m, 7d, or an ISO date or datetime")
        self.add_listing_arguments(parser,
                                   json_help="one JSON object a line, with the masked bodies")

    def handle(self, *args: Any, **opts: Any) -> None:
        limit = parse_limit(str(opts["limit"]))
        filters = RequestFilters(
            status=parse_status(opts["status"]) if opts["status"] else "",
            since=parse_since(opts["since"]) if opts["since"] else None,
        )
        org = get_org(opts["org"]) if opts["org"] is not None else None
        records = scim_request_list(organization=org, filters=filters)
        if opts["json"]:
            records = records.defer(None)  # the bodies too
        slug = org.slug if org else None
        self.write_rows(
            (_row(record, slug, bodies=opts["json"])
             for record in records[:limit].iterator(chunk_size=500)),
            as_json=opts["json"], table_line=_table_line,
        )

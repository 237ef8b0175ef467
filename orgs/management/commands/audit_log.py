"""``manage.py audit_log --org <slug> | --all-orgs [filters] [--json]``: read the audit log.

Newest first, streamed from one query (``.iterator()``), so a long log costs the same number of
queries as a short one. ``--json`` prints one JSON object a line; otherwise a tab-separated
table whose cells have tabs, newlines and other control characters escaped (labels and data
come from IdPs and must not reshape the table or drive the terminal).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from orgs.management.commands._base import OperatorCommand, get_org
from orgs.models import AuditEvent
from orgs.selectors import audit_event_search

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
COLUMNS = ("created_at", "organization", "action", "actor", "target", "data", "ip",
           "request_id")


def _moment(value: str, option: str, *, end_of_day: bool) -> datetime:
    """An ISO date or datetime as an aware datetime; naive values are UTC. A bare date means
    the start of that day, or with ``end_of_day`` its last instant (``--until`` includes it)."""
    text = value.strip()
    try:
        day = parse_date(text) if len(text) == 10 else None
        moment = None if day else parse_datetime(text)
    except ValueError:
        day = moment = None
    if day is not None:
        if end_of_day:
            return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC) - (
                timedelta(microseconds=1)
            )
        return datetime.combine(day, time.min, tzinfo=UTC)
    if moment is None:
        raise CommandError(
            f"{option} {value!r} is not an ISO date or datetime "
            "(e.g. 2026-11-01 or 2026-11-01T09:30:00Z)."
        )
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment


def _limit(value: str) -> int:
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise CommandError(f"--limit must be a whole number from 1 to {MAX_LIMIT}, not {value!r}.")
    return limit


def _row(event: AuditEvent) -> dict[str, Any]:
    return {
        "created_at": event.created_at.isoformat(),
        "organization": event.organization.slug if event.organization else None,
        "action": event.action,
        "actor": {"kind": event.actor_kind, "id": event.actor_id, "label": event.actor_label},
        "target": {"kind": event.target_kind, "id": event.target_id,
                   "label": event.target_label},
        "data": event.data,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "request_id": event.request_id,
    }


def _cell(value: str) -> str:
    """Printable characters as they are; tabs, newlines, escapes and the like as \\x.. codes."""
    if value.isprintable():
        return value or "-"
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in value)


def _table_line(row: dict[str, Any]) -> str:
    actor, target = row["actor"], row["target"]
    cells = (
        row["created_at"],
        row["organization"] or "",
        row["action"],
        f"{actor['kind']}:{actor['label'] or actor['id']}",
        f"{target['kind']}:{target['label'] or target['id']}" if target["kind"] else "",
        json.dumps(row["data"], sort_keys=True) if row["data"] else "",
        row["ip"] or "",
        row["request_id"],
    )
    return "\t".join(_cell(c) for c in cells)


class Command(OperatorCommand):
    help = "List audit events, newest first."

    def add_arguments(self, parser: Any) -> None:
        scope = parser.add_mutually_exclusive_group(required=True)
        scope.add_argument("--org", help="organization slug")
        scope.add_argument("--all-orgs", action="store_true", help="every organization")
        parser.add_argument("--action", default="",
                            help="action prefix, e.g. 'scim.' or 'scim.user.deactivated'")
        parser.add_argument("--since", help="ISO date or datetime (UTC unless given), inclusive")
        parser.add_argument("--until",
                            help="ISO date or datetime, inclusive (a date includes that day)")
        parser.add_argument("--actor", default="", help="substring of the actor's label")
        parser.add_argument("--limit", default=str(DEFAULT_LIMIT),
                            help=f"at most this many events, 1-{MAX_LIMIT} "
                                 f"(default {DEFAULT_LIMIT})")
        parser.add_argument("--json", action="store_true", help="one JSON object a line")

    def handle(self, *args: Any, **opts: Any) -> None:
        limit = _limit(str(opts["limit"]))
        since = _moment(opts["since"], "--since", end_of_day=False) if opts["since"] else None
        until = _moment(opts["until"], "--until", end_of_day=True) if opts["until"] else None
        if since and until and since > until:
            raise CommandError("--since must not be later than --until.")
        org = get_org(opts["org"]) if opts["org"] is not None else None
        events = audit_event_search(
            organization=org, all_orgs=org is None, action_prefix=opts["action"].strip(),
            since=since, until=until, actor_label=opts["actor"].strip(),
        )[:limit]
        printed = 0
        for event in events.iterator(chunk_size=500):
            row = _row(event)
            if opts["json"]:
                self.stdout.write(json.dumps(row))
            else:
                if not printed:
                    self.stdout.write("\t".join(COLUMNS))
                self.stdout.write(_table_line(row))
            printed += 1
        if not printed and not opts["json"]:
            self.stdout.write("No audit events match.")

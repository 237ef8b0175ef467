"""``manage.py audit_log --org <slug> | --all-orgs [filters] [--json]``: read the audit log.

Newest first, streamed from one query (``.iterator()``), so a long log costs the same number of
queries as a short one. ``--json`` prints one JSON object a line; otherwise a tab-separated
table whose cells have tabs, newlines and other control characters escaped (labels and data
come from IdPs and must not reshape the table or drive the terminal).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError

from orgs.management.commands._base import (
    ListingCommand,
    get_org,
    parse_limit,
    parse_moment,
    table_cell,
)
from orgs.models import AuditEvent
from orgs.selectors import audit_event_search

COLUMNS = ("created_at", "organization", "action", "actor", "target", "data", "ip",
           "request_id")


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
    return "\t".join(table_cell(c) for c in cells)


class Command(ListingCommand):
    help = "List audit events, newest first."
    noun = "audit events"
    columns = COLUMNS

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
        self.add_listing_arguments(parser)

    def handle(self, *args: Any, **opts: Any) -> None:
        limit = parse_limit(str(opts["limit"]))
        since = parse_moment(opts["since"], "--since", end_of_day=False) if opts["since"] else None
        until = parse_moment(opts["until"], "--until", end_of_day=True) if opts["until"] else None
        if since and until and since > until:
            raise CommandError("--since must not be later than --until.")
        org = get_org(opts["org"]) if opts["org"] is not None else None
        events = audit_event_search(
            organization=org, all_orgs=org is None, action_prefix=opts["action"].strip(),
            since=since, until=until, actor_label=opts["actor"].strip(),
        )[:limit]
        self.write_rows((_row(event) for event in events.iterator(chunk_size=500)),
                        as_json=opts["json"], table_line=_table_line)

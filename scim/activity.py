"""SCIM activity as an admin reads it: one row per IdP request, in words, with what changed.

An IdP request can leave several audit events (a create writes ``scim.user.created`` and
``scim.user.profile_updated``); they share the request's ``request_id``, so rows are the
events grouped by it (an event without one is a row of its own). That holds whether a request
writes one event or several. Paging is over rows, in SQL: a count, a page of row keys, then the
page's events and the members a group change names — a fixed number of queries per page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import CharField, Max, Q, QuerySet, Value
from django.db.models.functions import Cast, Coalesce, Concat, NullIf
from django.utils import formats, timezone

from orgs.models import AuditEvent, Membership, Organization, Role

PREFIXES = ("scim.", "org.scim.")
PER_PAGE = 25
PERIODS = {"1": "Last 24 hours", "7": "Last 7 days", "30": "Last 30 days"}

# What each action is called on the page; unknown actions show their code.
LABELS = {
    "scim.user.created": "Member provisioned",
    "scim.user.updated": "Member updated",
    "scim.user.profile_updated": "Member's SCIM profile updated",
    "scim.user.deactivated": "Member deactivated",
    "scim.user.reactivated": "Member reactivated",
    "scim.user.deleted": "Member removed",
    "scim.user.role_changed": "Role set by a group mapping",
    "scim.group.created": "Group created",
    "scim.group.updated": "Group updated",
    "scim.group.members_changed": "Group members changed",
    "scim.group.deleted": "Group deleted",
    "scim.token.created": "SCIM token created",
    "scim.token.rotated": "SCIM token rotated",
    "scim.token.revoked": "SCIM token revoked",
    "org.scim.enabled": "SCIM provisioning enabled",
    "org.scim.disabled": "SCIM provisioning disabled",
}
# Which event names a row of several (the request's main effect first).
PRIORITY = [
    "scim.user.created", "scim.user.deleted", "scim.user.deactivated", "scim.user.reactivated",
    "scim.group.created", "scim.group.deleted", "scim.user.updated", "scim.group.updated",
    "scim.group.members_changed", "scim.user.role_changed", "scim.user.profile_updated",
    "scim.token.rotated",
]
FIELD_LABELS = {
    "email": "Email", "given_name": "First name", "family_name": "Last name",
    "scim_user_name": "userName", "external_id": "externalId", "display_name": "Name",
    "displayName": "displayName", "role": "Role", "status": "Status", "is_active": "Active",
}
ROLE_LABELS = dict(Role.choices)


def label(action: str) -> str:
    return LABELS.get(action, action)


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass
class Row:
    key: str
    when: datetime
    action: str
    actions: list[str]
    actor: str
    target: str
    ip: str
    request_id: str
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    request_url: str = ""

    @property
    def label(self) -> str:
        return label(self.action)


@dataclass(frozen=True)
class Filters:
    action: str = ""
    query: str = ""
    period: str = ""

    @classmethod
    def from_query(cls, params: Any) -> Filters:
        period = params.get("days", "")
        return cls(action=params.get("action", "").strip()[:100],
                   query=params.get("q", "").strip()[:200],
                   period=period if period in PERIODS else "")

    def as_query(self) -> dict[str, str]:
        return {k: v for k, v in
                {"action": self.action, "q": self.query, "days": self.period}.items() if v}


def _scim_events(organization: Organization) -> QuerySet[AuditEvent]:
    prefixes = Q()
    for prefix in PREFIXES:
        prefixes |= Q(action__startswith=prefix)
    return AuditEvent.objects.filter(prefixes, organization=organization)


def _row_key() -> Coalesce:
    event_key = Concat(Value("event:"), Cast("id", CharField()), output_field=CharField())
    return Coalesce(NullIf("request_id", Value("")), event_key, output_field=CharField())


def activity_actions(*, organization: Organization) -> list[tuple[str, str]]:
    """The actions that occur in this organization's SCIM activity: (code, label)."""
    codes = _scim_events(organization).order_by("action").values_list("action", flat=True)
    return [(code, label(code)) for code in codes.distinct()]


def activity_page(
    *, organization: Organization, filters: Filters, page: Any = 1, per_page: int = PER_PAGE,
    request_url: Callable[[str], str] = lambda request_id: "",
) -> tuple[Page, list[Row]]:
    """One page of rows, newest first. A row matches the filters when one of its events does;
    it then shows all of the request's events."""
    matching = _scim_events(organization)
    if filters.action:
        matching = matching.filter(action=filters.action)
    if filters.query:
        matching = matching.filter(
            Q(target_label__icontains=filters.query) | Q(actor_label__icontains=filters.query)
        )
    if filters.period:
        matching = matching.filter(
            created_at__gte=timezone.now() - timedelta(days=int(filters.period))
        )
    paginator = Paginator(_keys(matching), per_page)
    current = paginator.get_page(page)
    return current, _rows([k["key"] for k in current.object_list], organization, request_url)


def latest_rows(
    *, organization: Organization, limit: int,
    request_url: Callable[[str], str] = lambda request_id: "",
) -> list[Row]:
    """The newest ``limit`` rows, unfiltered (the Provisioning tab's preview): no count."""
    wanted = [k["key"] for k in _keys(_scim_events(organization))[:limit]]
    return _rows(wanted, organization, request_url)


def _keys(events: QuerySet[AuditEvent]) -> QuerySet:
    """The rows' keys (request id, else the event's own), newest row first."""
    return (
        events.annotate(key=_row_key()).values("key")
        .annotate(latest=Max("created_at"), last_id=Max("id")).order_by("-latest", "-last_id")
    )


def _rows(wanted: list[str], organization: Organization,
          request_url: Callable[[str], str]) -> list[Row]:
    request_ids = [k for k in wanted if not k.startswith("event:")]
    event_ids = [int(k.removeprefix("event:")) for k in wanted if k.startswith("event:")]
    events = list(
        _scim_events(organization).filter(Q(request_id__in=request_ids) | Q(pk__in=event_ids))
        .order_by("created_at", "id")
    )
    members = _member_emails(organization, events)
    by_key: dict[str, list[AuditEvent]] = {k: [] for k in wanted}
    for event in events:
        key = event.request_id or f"event:{event.pk}"
        if key in by_key:
            by_key[key].append(event)
    return [_row(key, group, members, request_url) for key, group in by_key.items() if group]


def _member_emails(organization: Organization, events: list[AuditEvent]) -> dict[str, str]:
    ids = {i for e in events for i in (*e.data.get("added", []), *e.data.get("removed", []))}
    if not ids:
        return {}
    found = Membership.objects.filter(organization=organization, pk__in=list(ids))
    return {str(pk): email for pk, email in found.values_list("pk", "email")}


def _row(key: str, events: list[AuditEvent], members: dict[str, str],
         request_url: Callable[[str], str]) -> Row:
    rank = {action: i for i, action in enumerate(PRIORITY)}
    main = min(events, key=lambda e: rank.get(e.action, len(PRIORITY)))
    row = Row(
        key=key, when=max(e.created_at for e in events), action=main.action,
        actions=sorted({e.action for e in events}, key=lambda a: rank.get(a, len(PRIORITY))),
        actor=main.actor_label, target=main.target_label, ip=main.ip or "",
        request_id=main.request_id,
        request_url=request_url(main.request_id) if main.request_id else "",
    )
    for event in events:
        _describe(event, row, members)
    return row


def _show(value: Any, field_name: str = "") -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field_name == "role" and value in ROLE_LABELS:
        return ROLE_LABELS[value]
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        return text if len(text) <= 160 else text[:159] + "…"
    return str(value)


def _describe(event: AuditEvent, row: Row, members: dict[str, str]) -> None:
    """Add what one event changed to its row: (field, before → after) pairs and notes."""
    data, action = event.data or {}, event.action
    add = row.changes.append
    for name, pair in (data.get("changes") or {}).items():
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            continue
        before, after = pair
        if isinstance(before, dict) and isinstance(after, dict):  # the SCIM profile's dict
            for key in sorted(set(before) | set(after)):
                if before.get(key) != after.get(key):
                    add(Change(key, _show(before.get(key)), _show(after.get(key))))
        else:
            add(Change(FIELD_LABELS.get(name, name), _show(before, name), _show(after, name)))
    # A group's member changes, whichever event carries them (one event per IdP request: a
    # create or a rename may add and remove members too).
    for verb in ("added", "removed"):
        names = [members.get(i, "a removed member") for i in data.get(verb, [])
                 if action.startswith("scim.group.")]
        if names:
            row.notes.append(f"{verb.capitalize()}: {', '.join(sorted(names))}")
    if action == "scim.user.created":
        for name in ("email", "role", "status"):
            if name in data:
                add(Change(FIELD_LABELS[name], "—", _show(data[name], name)))
    elif action in ("scim.user.deactivated", "scim.user.reactivated"):
        active = action.endswith("reactivated")
        add(Change("Active", _show(not active), _show(active)))
    elif action == "scim.user.role_changed":
        add(Change("Role", _show(data.get("from"), "role"), _show(data.get("to"), "role")))
        if data.get("groups"):
            row.notes.append("Mapped from " + ", ".join(f"“{g}”" for g in data["groups"]))
    elif action in ("scim.user.deleted", "scim.group.deleted"):
        gone = data.get("email") or data.get("display_name")
        if gone:
            row.notes.append(f"Removed {gone}")
    elif action == "scim.token.created":
        rotated = data.get("rotated_from")
        row.notes.append(f"{data.get('prefix', '')}… “{data.get('description', '')}”"
                         + (f", replacing {rotated}…" if rotated else ""))
    elif action == "scim.token.rotated":
        row.notes.append(f"{data.get('prefix', '')}… works until "
                         f"{_when(data.get('old_works_until', ''))} next to "
                         f"{data.get('new_prefix', '')}…")


def _when(iso: str) -> str:
    try:
        moment = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return iso or "—"
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")

"""The provisioning overview on the Provisioning tab: who is in the organization by source and
state, SCIM traffic per day, the last successful push, and whether Okta can reach ``BASE_URL``.

Reads only, each a fixed number of queries. ``scim_traffic`` is the chart's one data source:
the SCIM request log (every request, errors being 4xx and 5xx answers).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count, Max, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from orgs.models import (
    ActorKind,
    AuditEvent,
    Membership,
    MembershipSource,
    MembershipStatus,
    Organization,
)
from scim.models import ScimRequest, ScimToken

SOURCES = [
    (MembershipSource.SCIM, "Provisioned by SCIM"),
    (MembershipSource.MANUAL, "Added by hand"),
    (MembershipSource.SSO, "Just-in-time at SSO sign-in"),
]
STATES = {
    "invited": Q(is_active=True, status=MembershipStatus.INVITED),
    "active": Q(is_active=True, status=MembershipStatus.ACCEPTED),
    "deactivated": Q(is_active=False),
}


@dataclass(frozen=True)
class SourceCounts:
    source: str
    label: str
    invited: int
    active: int
    deactivated: int

    @property
    def total(self) -> int:
        return self.invited + self.active + self.deactivated


def member_counts(*, organization: Organization) -> list[SourceCounts]:
    """Members by source and state, in one aggregate query."""
    counts = Membership.objects.filter(organization=organization).aggregate(**{
        f"{source}_{state}": Count("pk", filter=Q(source=source) & condition)
        for source, _ in SOURCES for state, condition in STATES.items()
    })
    return [
        SourceCounts(source=source, label=label, **{
            state: counts[f"{source}_{state}"] for state in STATES
        })
        for source, label in SOURCES
    ]


@dataclass(frozen=True)
class DayTraffic:
    day: date
    requests: int
    errors: int


def _scim_pushes(organization: Organization):
    """The audit events an IdP's SCIM writes left (not an admin's token changes)."""
    return AuditEvent.objects.filter(
        organization=organization, actor_kind=ActorKind.SCIM_TOKEN, action__startswith="scim.",
    ).exclude(action__startswith="scim.token.")


def scim_traffic(
    *, organization: Organization, days: int, now: datetime | None = None
) -> list[DayTraffic]:
    """SCIM requests and errors (4xx and 5xx answers) per day for the last ``days`` days
    (today included), oldest first, days without traffic as zeros, from the SCIM request log.
    One query. The chart's only data source."""
    today = timezone.localdate(now or timezone.now())
    first = today - timedelta(days=days - 1)
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    rows = (
        ScimRequest.objects.filter(organization=organization, created_at__gte=start)
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(requests=Count("id"), errors=Count("id", filter=Q(status__gte=400)))
        .order_by("day")
    )
    by_day = {row["day"]: row for row in rows}
    empty = {"requests": 0, "errors": 0}
    return [
        DayTraffic(day=day, requests=by_day.get(day, empty)["requests"],
                   errors=by_day.get(day, empty)["errors"])
        for day in (first + timedelta(days=i) for i in range(days))
    ]


@dataclass(frozen=True)
class LastContact:
    push_at: datetime | None  # the latest change an IdP made through SCIM
    push_by: str
    call_at: datetime | None  # the latest authenticated SCIM call (a read counts)


def last_contact(*, organization: Organization) -> LastContact:
    """When the IdP last changed something, and last called at all. Two queries."""
    push = _scim_pushes(organization).order_by("-created_at", "-id").values(
        "created_at", "actor_label"
    ).first()
    call = ScimToken.objects.filter(organization=organization).aggregate(
        at=Max("last_used_at")
    )["at"]
    return LastContact(
        push_at=push["created_at"] if push else None,
        push_by=push["actor_label"] if push else "",
        call_at=call,
    )


def base_url_problem(base_url: str | None = None) -> str:
    """Why Okta could not reach Roster's SCIM URL, or "" when ``BASE_URL`` looks public."""
    url = (base_url or settings.BASE_URL).rstrip("/")
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost" or host.endswith(".localhost")
    if loopback:
        return (f"BASE_URL is {url}, a loopback address: Okta cannot reach it. Set BASE_URL to "
                "Roster's public https:// URL.")
    if parts.scheme != "https":
        return (f"BASE_URL is {url}: Okta needs a public https:// URL for the SCIM connector. "
                "Set BASE_URL to Roster's public https:// URL.")
    return ""


# --- the chart -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    y: float
    height: float
    error_y: float
    error_height: float
    label: str  # the day, for the x axis ("" where the axis skips it)
    label_x: float
    title: str  # the tooltip and the accessible text


@dataclass(frozen=True)
class Chart:
    days: int
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    left: int
    y_max: int
    bars: list[Bar]
    total_requests: int
    total_errors: int
    traffic: list[DayTraffic]


def _nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50 … at least ``value``: the chart's top line."""
    scale = 1
    while True:
        for step in (1, 2, 5):
            if value <= step * scale:
                return step * scale
        scale *= 10


def traffic_chart(traffic: list[DayTraffic], *, width: int = 560, height: int = 150) -> Chart:
    """Bar geometry for a server-rendered SVG (``scim_traffic_chart.html``): requests per day,
    errors drawn over them from the baseline."""
    left, right, top, bottom = 34, 18, 10, height - 22
    y_max = _nice_ceiling(max([d.requests for d in traffic] + [1]))
    slot = (width - left - right) / max(len(traffic), 1)
    every = 1 if len(traffic) <= 10 else 5
    bars = []
    for i, d in enumerate(traffic):
        scale = (bottom - top) / y_max
        h, eh = d.requests * scale, min(d.errors, d.requests or d.errors) * scale
        last = i == len(traffic) - 1
        bars.append(Bar(
            x=round(left + i * slot + slot * 0.15, 1), width=round(slot * 0.7, 1),
            y=round(bottom - h, 1), height=round(h, 1),
            error_y=round(bottom - eh, 1), error_height=round(eh, 1),
            label=d.day.strftime("%m-%d") if (len(traffic) - 1 - i) % every == 0 or last else "",
            label_x=round(left + (i + 0.5) * slot, 1),
            title=f"{d.day:%Y-%m-%d}: {d.requests} request{'s' if d.requests != 1 else ''}, "
                  f"{d.errors} error{'s' if d.errors != 1 else ''}",
        ))
    return Chart(
        days=len(traffic), width=width, height=height, plot_top=top, plot_bottom=bottom,
        left=left, y_max=y_max, bars=bars, traffic=traffic,
        total_requests=sum(d.requests for d in traffic),
        total_errors=sum(d.errors for d in traffic),
    )

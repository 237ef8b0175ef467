"""Reads of the SCIM request log, for the Provisioning tab, the admin and ``scim_requests``.

Lists read the organization's rows newest first through the (organization, -created_at) index
and leave the bodies out; only a record's own page loads them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import QuerySet

from orgs.models import AuditEvent, Organization
from scim.models import ScimRequest

STATUS_CLASSES = ("2xx", "4xx", "5xx")
STATUS_RE = re.compile(r"([1-5])xx|[1-5]\d\d")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# How far from the request's start its audit events can be: its duration, plus clock slack.
AUDIT_LINK_SLACK = dt.timedelta(seconds=5)


@dataclass(frozen=True)
class RequestFilters:
    """What to list; empty means any. ``status`` is a class ("4xx") or a code ("404")."""

    status: str = ""
    method: str = ""
    resource: str = ""
    since: dt.datetime | None = None


def scim_request_list(
    *, organization: Organization | None, filters: RequestFilters = RequestFilters()
) -> QuerySet[ScimRequest]:
    """The organization's requests, newest first; ``organization=None`` lists the requests no
    organization could be named for (operators only). Bodies are deferred."""
    qs = ScimRequest.objects.defer("request_body", "response_body")
    qs = (qs.filter(organization=organization) if organization is not None
          else qs.filter(organization__isnull=True))
    match = STATUS_RE.fullmatch(filters.status) if filters.status else None
    if match and match.group(1):
        low = int(match.group(1)) * 100
        qs = qs.filter(status__gte=low, status__lt=low + 100)
    elif match:
        qs = qs.filter(status=int(filters.status))
    if filters.method:
        qs = qs.filter(method=filters.method)
    if filters.resource:
        qs = qs.filter(resource=filters.resource)
    if filters.since is not None:
        qs = qs.filter(created_at__gte=filters.since)
    return qs.order_by("-created_at", "-id")


def scim_request_audit_events(*, record: ScimRequest) -> QuerySet[AuditEvent]:
    """The audit events this request caused: same organization and request id, within the
    request's time (so a client that reuses an X-Request-ID links nothing else, and the
    lookup stays on the audit log's (organization, -created_at) index)."""
    if not record.request_id or record.organization_id is None:
        return AuditEvent.objects.none()
    until = record.created_at + dt.timedelta(milliseconds=record.duration_ms) + AUDIT_LINK_SLACK
    return AuditEvent.objects.filter(
        organization_id=record.organization_id, request_id=record.request_id,
        created_at__gte=record.created_at - AUDIT_LINK_SLACK, created_at__lte=until,
    ).order_by("created_at", "id")

"""/api/v1/organizations/{org}/audit-events/: the audit log, for people and for a SIEM.

``OrgLogView`` is the shape of every log the API serves (the SCIM request log joins it): filters
from a serializer, newest-first cursor pages, and the ``since`` feed a SIEM polls
(``api.pagination.FeedPagination``). A log view names its rows, serializer and filters.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from api.pagination import FeedPagination
from api.schema import errors
from api.serializers.audit import AuditEventFilterSerializer, AuditEventSerializer
from api.views.base import ApiView
from orgs.models import AuditEvent
from orgs.selectors import audit_event_search

FEED_DESCRIPTION = (
    "Newest first, in pages (`next`). To export to a SIEM, poll with `since`: `since=0` lists "
    "the log from its beginning, oldest first; each answer's `since` is the position to send "
    "next time, and `next` is set while more is waiting. Rows enter the feed a few seconds "
    "after they are written (`API_FEED_SETTLE_SECONDS`), so none committed late is skipped."
)


class OrgLogView(ApiView):
    pagination_class = FeedPagination
    filter_serializer: type[Serializer]

    def rows(self, filters: dict[str, Any]) -> QuerySet:
        raise NotImplementedError

    def get(self, request: Request, org: str) -> Response:
        filters = self.filter_serializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        page = self.paginate_queryset(self.rows(filters.validated_data))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class AuditEventListView(OrgLogView):
    serializer_class = AuditEventSerializer
    filter_serializer = AuditEventFilterSerializer

    def rows(self, filters: dict[str, Any]) -> QuerySet[AuditEvent]:
        events = audit_event_search(
            organization=self.organization,
            action_prefix=filters.get("action", ""),
            actor_label=filters.get("actor", ""),
            since=filters.get("created_after"),
            until=filters.get("created_before"),
        )
        exact = {k: filters[k] for k in ("actor_kind", "target_kind", "target_id", "request_id")
                 if filters.get(k)}
        return events.filter(**exact)

    @extend_schema(operation_id="audit_events_list", summary="List audit events",
                   description=FEED_DESCRIPTION, parameters=[AuditEventFilterSerializer],
                   responses={200: AuditEventSerializer(many=True), **errors(400, 404)})
    def get(self, request: Request, org: str) -> Response:
        return super().get(request, org)

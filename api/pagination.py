"""Pages of the API's lists: opaque cursors (DRF's ``CursorPagination``), and for logs a
``since`` feed a SIEM polls.

Every list answers ``{"results": [...], "next": url|null, "previous": url|null}``; ``limit``
(1-200, default 50) sets the page size and a bad ``limit`` or ``cursor`` is a 400 naming it.

Logs (``FeedPagination``) also answer ``since``: a stable position in the log. Sent back as
``?since=…`` it lists, oldest first, only what came after that position, and answers the next
position to store; ``since=0`` starts from the beginning. The position is (created_at, id), so
it does not move when rows are added, and rows are listed only once they are
``API_FEED_SETTLE_SECONDS`` old: a transaction still committing an older row cannot be skipped.
"""

from __future__ import annotations

import base64
import binascii
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
BEGINNING = "0"


class ApiCursorPagination(CursorPagination):
    page_size = DEFAULT_LIMIT
    page_size_query_param = "limit"
    max_page_size = MAX_LIMIT
    ordering = "created_at"

    def get_page_size(self, request: Any) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
            raise ValidationError({"limit": [f"A whole number from 1 to {MAX_LIMIT}."]})
        return int(raw)

    def decode_cursor(self, request: Any) -> Any:
        try:
            cursor = super().decode_cursor(request)
            if cursor is not None and cursor.position is not None:
                self.check_position(cursor.position)
            return cursor
        except (NotFound, DjangoValidationError, ValueError, TypeError, OverflowError):
            raise ValidationError({"cursor": ["This cursor is not valid: use the `next` or "
                                              "`previous` link of a listing."]}) from None

    def check_position(self, position: str) -> None:
        """A cursor is opaque but not signed: its position must be a value of the ordering
        field that the database can compare, or it is refused before any query."""
        name = self.ordering[0].lstrip("-")
        field = self.model._meta.pk if name == "pk" else self.model._meta.get_field(name)
        value = field.to_python(position)
        if isinstance(value, datetime):
            value.astimezone(UTC)  # OverflowError at the ends of time
        if isinstance(value, int) and not 0 <= value < 2**63:
            raise ValueError(position)

    def paginate_queryset(self, queryset: QuerySet, request: Any, view: Any = None) -> Any:
        self.model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                                       "default": DEFAULT_LIMIT}
        return parameters


class NewestFirstPagination(ApiCursorPagination):
    ordering = ("-created_at", "-pk")


def encode_position(created_at: datetime, pk: Any) -> str:
    raw = f"{created_at.isoformat()}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_position(token: str, model: type[Model]) -> tuple[datetime, Any] | None:
    """(created_at, pk) of a ``since`` value; None for the beginning; 400 naming ``since``."""
    if token == BEGINNING:
        return None
    try:
        if not token.isascii() or len(token) > 200:
            raise ValueError
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("utf-8")
        moment, pk = raw.split("|", 1)
        created_at = datetime.fromisoformat(moment)
        if created_at.tzinfo is None:
            raise ValueError
        created_at = created_at.astimezone(UTC)  # OverflowError near the ends of time
        value = model._meta.pk.to_python(pk)
        if isinstance(value, int) and not 0 <= value < 2**63:  # what a database id can be
            raise ValueError
        return created_at, value
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError,
            DjangoValidationError):
        raise ValidationError({"since": [
            "This position is not valid: use `0` or the `since` value of a listing."
        ]}) from None


class FeedPagination(ApiCursorPagination):
    """Newest first in cursor pages, or with ``since``, a poll of what came after it.

    ``time_field`` is the rows' creation time (indexed with the organization); a log whose
    rows name it otherwise subclasses this with its own field."""

    time_field = "created_at"
    since_query_param = "since"

    def get_ordering(self, request: Any, queryset: QuerySet, view: Any) -> tuple[str, str]:
        return (f"-{self.time_field}", "-pk")

    def settled(self, queryset: QuerySet) -> QuerySet:
        cutoff = timezone.now() - timedelta(seconds=settings.API_FEED_SETTLE_SECONDS)
        return queryset.filter(**{f"{self.time_field}__lte": cutoff})

    def paginate_queryset(self, queryset: QuerySet, request: Any, view: Any = None) -> Any:
        self.request = request
        raw = request.query_params.get(self.since_query_param)
        self.feed = raw is not None
        t = self.time_field
        if not self.feed:
            page = super().paginate_queryset(queryset, request, view)
            newest = self.settled(queryset).order_by(f"-{t}", "-pk").values_list(t, "pk").first()
            self.since = encode_position(*newest) if newest else BEGINNING
            return page
        position = decode_position(raw, queryset.model)
        rows = self.settled(queryset)
        if position is not None:
            moment, pk = position
            rows = rows.filter(Q(**{f"{t}__gt": moment}) | Q(**{t: moment, "pk__gt": pk}))
        self.page_size = self.get_page_size(request)
        page = list(rows.order_by(t, "pk")[: self.page_size + 1])
        self.has_more = len(page) > self.page_size
        page = page[: self.page_size]
        self.since = encode_position(getattr(page[-1], t), page[-1].pk) if page else raw
        return page

    def get_paginated_response(self, data: Any) -> Response:
        if not self.feed:
            response = super().get_paginated_response(data)
            response.data["since"] = self.since
            return response
        url = self.request.build_absolute_uri()
        next_url = None
        if self.has_more:
            next_url = replace_query_param(remove_query_param(url, self.cursor_query_param),
                                           self.since_query_param, self.since)
        return Response(OrderedDict([
            ("next", next_url), ("previous", None), ("results", data), ("since", self.since),
        ]))

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["since"] = {
            "type": "string", "example": BEGINNING,
            "description": "The position to poll from next: send it back as `since`.",
        }
        paginated["required"] = [*paginated.get("required", []), "since"]
        return paginated

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [*super().get_schema_operation_parameters(view), {
            "name": self.since_query_param, "required": False, "in": "query",
            "description": "Poll: list, oldest first, only what came after this position (`0`: "
                           "from the beginning; else a `since` value of an earlier answer).",
            "schema": {"type": "string"},
        }]

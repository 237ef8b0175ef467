"""The API's HTTP pipeline on DRF: every /api/v1 view derives from ``ApiView``, as every SCIM
view derives from ``scim.http.ScimView``.

DRF runs, in order: authentication (an API key or the admin's session; 401), the permission
(administers some organization; 403), the per-key throttle (429), then the handler. Bodies are
JSON in and out whatever the client's ``Accept`` says, and every exception becomes the one error
shape (``api.errors.api_exception_handler``). An organization in the URL is looked up within
the caller's scope (``api.permissions.organization_for``: 404 outside it), and every write
calls a service with the caller as the audit actor.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.http import Http404
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import ParseError
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from api.authentication import ApiKeyAuthentication
from api.errors import api_exception_handler
from api.pagination import ApiCursorPagination
from api.permissions import AdministersAnOrganization, organization_for
from api.throttling import ApiKeyThrottle
from config.drf_responses import FreedResponseMixin
from orgs.audit import Actor
from orgs.models import Organization


def parse_int_id(value: str) -> int:
    """A row id from a URL: plain digits that fit a 64-bit column (else ValueError: 404)."""
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise ValueError(value)
    return int(value)


class ApiJSONParser(JSONParser):
    """DRF's strict JSON parser, with nesting too deep for Python's parser a parse error (400)
    rather than a RecursionError (500)."""

    def parse(self, stream: Any, media_type: str | None = None,
              parser_context: dict[str, Any] | None = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None


class JsonOnly(BaseContentNegotiation):
    """The API speaks JSON only: any ``Accept`` gets JSON, never a 406."""

    def select_parser(self, request: Request, parsers: list[Any]) -> Any:
        for parser in parsers:
            if request.content_type.split(";")[0].strip().lower() == parser.media_type:
                return parser
        return None  # DRF answers 415

    def select_renderer(self, request: Request, renderers: list[Any],
                        format_suffix: str | None = None) -> tuple[Any, str]:
        return renderers[0], renderers[0].media_type


class ApiView(FreedResponseMixin, GenericAPIView):
    authentication_classes = [ApiKeyAuthentication, SessionAuthentication]
    permission_classes = [AdministersAnOrganization]
    throttle_classes = [ApiKeyThrottle]
    parser_classes = [ApiJSONParser]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonOnly
    pagination_class = ApiCursorPagination

    def get_exception_handler(self) -> Any:
        return api_exception_handler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # Parse the query now, whatever the method: one with more parameters than
        # DATA_UPLOAD_MAX_NUMBER_FIELDS is refused before anything is read or written.
        request.query_params  # noqa: B018

    @cached_property
    def organization(self) -> Organization:
        """The organization the URL names, within the caller's scope (404 outside it)."""
        return organization_for(self.request, self.kwargs["org"])

    def actor(self) -> Actor:
        """The audit actor: the person, whether through their key or their session."""
        return Actor.for_user(self.request.user, self.request._request)

    def get_in_org(self, queryset: Any, pk: Any, *, parse: Any) -> Any:
        """One object of this organization by a URL id; 404 for a malformed id, one of
        another organization, or none."""
        try:
            value = parse(pk)
        except (TypeError, ValueError):
            raise Http404 from None
        obj = queryset.filter(organization=self.organization, pk=value).first()
        if obj is None:
            raise Http404
        return obj

"""The SCIM HTTP pipeline on DRF: every /scim/v2 view derives from ``ScimView``.

DRF runs, in order: bearer-token authentication (401), the plan, toggle and SAML permissions (403),
the per-token throttle (429), then the handler, or 405 for a method this address does not
answer. Bodies are parsed and answers rendered as ``application/scim+json`` (``scim.media``),
and every exception becomes an RFC 7644 error body (``scim.errors.scim_exception_handler``).
What DRF does differently from RFC 7644 is adjusted here once: HEAD is GET without a body,
OPTIONS lists the methods with 204, ``Allow`` is sent only where it means something, and a
no-content answer is still typed ``application/scim+json``. Every answer, whatever its status,
is then recorded in the SCIM request log (``scim.request_log``).
"""

from __future__ import annotations

import time
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import MethodNotAllowed, ParseError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.drf_responses import FreedResponseMixin
from scim import request_log
from scim.auth import (
    PlanIncludesScim,
    SamlSsoActive,
    ScimContext,
    ScimTokenAuthentication,
    ScimTurnedOn,
)
from scim.errors import SCIM_CONTENT_TYPE, ScimError, scim_exception_handler
from scim.media import ScimContentNegotiation, ScimJSONParser, ScimJSONRenderer
from scim.throttling import ScimTokenThrottle


@method_decorator(csrf_exempt, name="dispatch")
class ScimView(FreedResponseMixin, APIView):
    authentication_classes = [ScimTokenAuthentication]
    permission_classes = [PlanIncludesScim, ScimTurnedOn, SamlSsoActive]
    throttle_classes = [ScimTokenThrottle]
    parser_classes = [ScimJSONParser]
    renderer_classes = [ScimJSONRenderer]
    content_negotiation_class = ScimContentNegotiation

    # The methods this address answers, in the order ``Allow`` lists them (HEAD follows GET).
    allowed: tuple[str, ...] = ("GET",)
    answers_options = True  # False where every method is an error (unknown paths)
    # A more helpful 405 detail for some methods, e.g. {"POST": "… only on the collection."}
    refusals: dict[str, str] = {}

    @property
    def default_response_headers(self) -> dict[str, str]:
        return {}  # DRF's Allow on every answer; RFC 9110 wants it on 405 and OPTIONS

    # Who is calling, once authentication succeeded (None for a refused token), for the log.
    scim_context: ScimContext | None = None

    @property
    def scim(self) -> ScimContext:
        return self.request.auth

    def perform_authentication(self, request: Request) -> None:
        super().perform_authentication(request)
        self.scim_context = request.auth

    def allow(self) -> str:
        methods = list(self.allowed)
        if "GET" in methods:
            methods.insert(methods.index("GET") + 1, "HEAD")
        return ", ".join(methods)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # Parse the query now, whatever the method: one with more parameters than
        # DATA_UPLOAD_MAX_NUMBER_FIELDS is refused before anything is read or written.
        request.query_params  # noqa: B018

    def http_method_not_allowed(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        method = request.method.upper()
        if method in self.refusals:
            raise ScimError(405, self.refusals[method], headers={"Allow": self.allow()})
        raise MethodNotAllowed(method)

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        if isinstance(exc, MethodNotAllowed):
            response["Allow"] = self.allow()
        return response

    def get_exception_handler(self) -> Any:
        return scim_exception_handler

    def options(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not self.answers_options:
            return self.http_method_not_allowed(request, *args, **kwargs)
        return Response(status=204, headers={"Allow": self.allow()})

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        started_at, started = timezone.now(), time.perf_counter()
        method = (request.method or "").upper()
        response = super().dispatch(request, *args, **kwargs)
        response.render()
        if method == "HEAD":  # GET's status and headers, no body (RFC 9110 §9.3.2)
            response.content = b""
        if not response.has_header("Content-Type"):  # DRF drops it when there is no body
            response["Content-Type"] = SCIM_CONTENT_TYPE
        request_log.record(self.request, response, context=self.scim_context,
                           started_at=started_at, started=started)
        return response

    def body(self, request: Request) -> Any:
        """The JSON body; an empty one is no JSON at all."""
        if not int(request.META.get("CONTENT_LENGTH") or 0):
            raise ParseError("The request body is not valid JSON.")
        return request.data

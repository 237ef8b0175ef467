"""SCIM error responses (RFC 7644 §3.12), and the DRF exception handler that makes them.

Every failure under /scim/v2 leaves as one of these: the error schema, ``status`` as a string,
an optional ``scimType`` and a ``detail`` meant for the IdP admin, with
``Content-Type: application/scim+json``. Nothing internal (tracebacks, SQL, class names)
leaks. ``scim_exception_handler`` is the one place that turns DRF's, the domain's and the
database's exceptions into them.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import DataError, IntegrityError
from django.http import HttpResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response

from orgs.exceptions import (
    AlreadyExists,
    CrossOrganizationError,
    DomainError,
    FeatureNotAvailable,
    LastAdminError,
    NotFound,
    PreconditionFailed,
)
from scim.encoding import encode_json

SCIM_CONTENT_TYPE = "application/scim+json"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class ScimError(Exception):
    """An error to answer with; raised anywhere below the view."""

    def __init__(
        self, status: int, detail: str, scim_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(self.status)}
        if self.scim_type:
            body["scimType"] = self.scim_type
        body["detail"] = self.detail
        return body


def bad_request(detail: str, scim_type: str = "invalidValue") -> ScimError:
    return ScimError(400, detail, scim_type)


def not_found(resource: str, resource_id: str) -> ScimError:
    return ScimError(404, f"{resource} {resource_id} not found.")


def from_domain_error(exc: DomainError) -> ScimError:
    """Translate a service's refusal into the SCIM status a client can act on."""
    if isinstance(exc, AlreadyExists):
        return ScimError(409, exc.message, "uniqueness")
    if isinstance(exc, NotFound):
        return ScimError(404, exc.message)
    if isinstance(exc, LastAdminError):
        return ScimError(409, exc.message)
    if isinstance(exc, (FeatureNotAvailable, PreconditionFailed)):
        return ScimError(403, exc.message)
    if isinstance(exc, CrossOrganizationError):
        return ScimError(400, "Members must be users of this organization.", "invalidValue")
    return ScimError(400, exc.message, "invalidValue")


def scim_json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(encode_json(data), status=status, content_type=SCIM_CONTENT_TYPE)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def scim_no_content(headers: dict[str, str] | None = None) -> HttpResponse:
    """204, typed like every other SCIM answer."""
    response = HttpResponse(status=204, content_type=SCIM_CONTENT_TYPE)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def error_response(error: ScimError) -> HttpResponse:
    return scim_json(error.body(), status=error.status, headers=error.headers)


logger = logging.getLogger(__name__)


def to_scim_error(exc: Exception, method: str = "") -> ScimError | None:
    """The SCIM error for an exception raised while answering, or None for a bug."""
    if isinstance(exc, ScimError):
        return exc
    if isinstance(exc, DomainError):
        return from_domain_error(exc)
    if isinstance(exc, drf.ParseError):
        return ScimError(400, str(exc.detail), "invalidSyntax")
    if isinstance(exc, drf.MethodNotAllowed):
        return ScimError(405, f"{method} is not supported here.")
    if isinstance(exc, drf.Throttled):
        wait = max(1, math.ceil(exc.wait or 1))  # whole seconds, never early
        return ScimError(429, "Too many requests with this token; retry later.",
                         headers={"Retry-After": str(wait)})
    if isinstance(exc, drf.APIException):  # NotAuthenticated, PermissionDenied, NotFound …
        return ScimError(exc.status_code, str(exc.detail))
    if isinstance(exc, RequestDataTooBig):
        return ScimError(413, "The request body is too large.")
    if isinstance(exc, TooManyFieldsSent):  # Django's DATA_UPLOAD_MAX_NUMBER_FIELDS
        return bad_request(
            f"At most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} query parameters are allowed."
        )
    if isinstance(exc, DataError):  # a value the wire layer's limits did not catch
        return bad_request("A value is too long or out of range.")
    if isinstance(exc, IntegrityError):  # a concurrent request won a race the service saw
        return ScimError(409, "The resource changed concurrently; a unique value is already "
                              "taken.", "uniqueness")
    return None


def scim_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's ``EXCEPTION_HANDLER`` for the SCIM views: every exception, expected or not."""
    request = context.get("request")
    method = request.method if request is not None else ""
    error = to_scim_error(exc, method)
    if error is None:  # never a traceback or a Django HTML page to an IdP
        logger.exception("Unexpected error in SCIM %s %s", method,
                         getattr(request, "path", ""))
        error = ScimError(500, "The request could not be completed.")
    elif isinstance(exc, (DataError, IntegrityError)):
        logger.warning("SCIM %s %s: %s", method, getattr(request, "path", ""), error.detail)
    return Response(error.body(), status=error.status, headers=error.headers)

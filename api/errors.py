"""The API's one error shape, and the DRF exception handler that makes it.

Every failure under /api/ answers ``{"error": {"code": ..., "message": ..., "fields": {...}}}``:
``code`` is stable and machine-readable, ``message`` is for a person, ``fields`` maps each input
field at fault (query parameter or body field, dotted for nested ones) to its messages and is
``{}`` otherwise. ``api_exception_handler`` is the one place that turns DRF's, the domain's and
the database's exceptions into it; nothing internal (tracebacks, SQL, class names) leaks.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import DataError, IntegrityError
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import set_rollback

from orgs.exceptions import (
    AlreadyExists,
    CrossOrganizationError,
    DomainError,
    FeatureNotAvailable,
    LastAdminError,
    NotFound,
    PreconditionFailed,
)
from sso.exceptions import SamlSettingsInvalid

logger = logging.getLogger(__name__)

Fields = dict[str, list[str]]


class ApiError(Exception):
    """An answer to give; raised anywhere below a view."""

    def __init__(self, status: int, code: str, message: str, fields: Fields | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}


def field_error(field: str, message: str, *, status: int = 400, code: str = "invalid") -> ApiError:
    return ApiError(status, code, message, {field: [message]})


def flatten(detail: Any, prefix: str = "") -> Fields:
    """DRF's nested ``ValidationError.detail`` as ``{"dotted.field": [messages]}``."""
    if isinstance(detail, dict):
        fields: Fields = {}
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            fields |= flatten(value, name)
        return fields
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return {prefix or "non_field_errors": [str(item) for item in detail]}
        fields = {}
        for index, item in enumerate(detail):
            fields |= flatten(item, f"{prefix}.{index}" if prefix else str(index))
        return fields
    return {prefix or "non_field_errors": [str(detail)]}


# A service's refusal → (status, code). The code is the exception's own (orgs.exceptions).
DOMAIN_STATUS: list[tuple[type[DomainError], int]] = [
    (AlreadyExists, 409),
    (LastAdminError, 409),
    (PreconditionFailed, 409),
    (FeatureNotAvailable, 403),
    (NotFound, 404),
    (CrossOrganizationError, 400),
]


def from_domain_error(exc: DomainError) -> ApiError:
    if isinstance(exc, SamlSettingsInvalid):
        return ApiError(400, exc.code, "The SAML settings are invalid.",
                        {field: [message] for field, message in exc.errors.items()})
    for kind, status in DOMAIN_STATUS:
        if isinstance(exc, kind):
            return ApiError(status, exc.code, exc.message)
    return ApiError(400, exc.code, exc.message)


def from_drf_error(exc: drf.APIException) -> ApiError:
    if isinstance(exc, drf.ValidationError):
        fields = flatten(exc.detail)
        message = "The request is invalid: see fields."
        if list(fields) == ["non_field_errors"]:
            message = fields["non_field_errors"][0]
        return ApiError(400, "invalid", message, fields)
    if isinstance(exc, drf.Throttled):
        wait = max(1, int(exc.wait or 1))
        return ApiError(429, "throttled",
                        f"Too many requests with this key; retry in {wait} seconds.",
                        headers={"Retry-After": str(wait)})
    codes = {
        drf.ParseError: "parse_error",
        drf.NotAuthenticated: "not_authenticated",
        drf.AuthenticationFailed: "authentication_failed",
        drf.PermissionDenied: "permission_denied",
        drf.NotFound: "not_found",
        drf.MethodNotAllowed: "method_not_allowed",
        drf.UnsupportedMediaType: "unsupported_media_type",
    }
    code = next((c for kind, c in codes.items() if isinstance(exc, kind)), "error")
    detail = exc.detail
    if isinstance(detail, (list, dict)):  # only a ValidationError's detail is structured
        detail = "; ".join(str(v) for v in (detail.values() if isinstance(detail, dict)
                                            else detail))
    return ApiError(exc.status_code, code, str(detail))


def to_api_error(exc: Exception) -> ApiError | None:
    """The API error for an exception raised while answering, or None for a bug."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, DomainError):
        return from_domain_error(exc)
    if isinstance(exc, Http404):
        return ApiError(404, "not_found", "Not found.")
    if isinstance(exc, DjangoPermissionDenied):
        return ApiError(403, "permission_denied", "You do not have permission to do this.")
    if isinstance(exc, drf.APIException):
        return from_drf_error(exc)
    if isinstance(exc, RequestDataTooBig):
        return ApiError(413, "too_large", "The request body is too large.")
    if isinstance(exc, TooManyFieldsSent):
        return ApiError(400, "invalid", f"At most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} "
                                        "query parameters are allowed.")
    if isinstance(exc, DataError):  # a value the serializers' limits did not catch
        return ApiError(400, "invalid", "A value is too long or out of range.")
    if isinstance(exc, IntegrityError):  # a concurrent request won a race the service saw
        return ApiError(409, "conflict", "The resource changed concurrently; try again.")
    return None


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's ``EXCEPTION_HANDLER`` for the API views: every exception, expected or not."""
    request = context.get("request")
    error = to_api_error(exc)
    if error is None:
        logger.exception("Unexpected error in API %s %s", getattr(request, "method", ""),
                         getattr(request, "path", ""))
        error = ApiError(500, "server_error", "The request could not be completed.")
    headers = dict(error.headers)
    if getattr(exc, "auth_header", None):  # set by APIView.handle_exception on a 401
        headers["WWW-Authenticate"] = exc.auth_header
    set_rollback()
    return Response(error.body(), status=error.status, headers=headers)

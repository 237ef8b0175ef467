"""SCIM error responses (RFC 7644 §3.12).

Every failure the SCIM views produce, expected or not, leaves as one of these: the error schema,
``status`` as a string, an optional ``scimType`` and a ``detail`` meant for the IdP admin, with
``Content-Type: application/scim+json``. Nothing internal (tracebacks, SQL, class names) leaks.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

from orgs.exceptions import (
    AlreadyExists,
    CrossOrganizationError,
    DomainError,
    FeatureNotAvailable,
    LastAdminError,
    PreconditionFailed,
)

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
    if isinstance(exc, LastAdminError):
        return ScimError(409, exc.message)
    if isinstance(exc, (FeatureNotAvailable, PreconditionFailed)):
        return ScimError(403, exc.message)
    if isinstance(exc, CrossOrganizationError):
        return ScimError(400, "Members must be users of this organization.", "invalidValue")
    return ScimError(400, exc.message, "invalidValue")


def scim_json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data), status=status, content_type=SCIM_CONTENT_TYPE
    )
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

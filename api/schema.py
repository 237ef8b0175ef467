"""The OpenAPI 3 document of /api/v1 (drf-spectacular): which endpoints it covers, how API keys
are described, and the errors every operation documents.

Every operation lists the errors the pipeline can give anywhere (401, 403, 429) plus its own
(``errors(404, 409)``), each with the one error shape, so a client generated from the schema
knows every answer it can get.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse

from api.serializers.common import ErrorSerializer

API_PREFIX = "/api/v1/"

ERROR_DESCRIPTIONS = {
    400: "Invalid input: `error.fields` names each field at fault (`invalid`), or a refused "
         "value (`invalid`, `cross_organization`).",
    401: "No credentials, or an API key that is unknown, expired or revoked "
         "(`not_authenticated`, `authentication_failed`). Sent with `WWW-Authenticate`.",
    403: "The caller administers no organization, or the organization's plan lacks the feature "
         "(`permission_denied`, `feature_not_available`).",
    404: "No such object in an organization the caller administers (`not_found`); another "
         "organization's objects are 404 too.",
    409: "Refused by the current state: a last admin, a duplicate, a precondition "
         "(`last_admin`, `uniqueness`, `precondition_failed`).",
    413: "The request body is too large (`too_large`).",
    415: "The body is not `application/json` (`unsupported_media_type`).",
    429: "Too many requests with this key (`throttled`): retry after `Retry-After` seconds.",
}
ALWAYS = (401, 403, 429)


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """The error responses of an operation: those of the pipeline plus ``statuses``."""
    return {
        status: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[status])
        for status in sorted({*ALWAYS, *statuses})
    }


def only_api_endpoints(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list[tuple[Any, ...]]:
    """drf-spectacular preprocessing hook: document /api/v1 only (not SCIM's DRF views), and
    not the schema and documentation pages themselves."""
    return [
        (path, path_regex, method, callback)
        for path, path_regex, method, callback in endpoints
        if path.startswith(API_PREFIX) and not getattr(callback.cls, "undocumented", False)
    ]


# Each operation's tag: the resource after /organizations/{org}/ (or "organizations").
TAGS = {
    "organizations": "The organizations the caller administers, and their settings.",
    "members": "Members: list with filters, get, change the role, deactivate, reactivate, "
               "remove.",
    "groups": "Groups with their members.",
    "scim-tokens": "The bearer tokens the organization's IdP provisions with.",
    "saml-connection": "The organization's SAML single sign-on connection.",
    "audit-events": "The audit log, with a `since` feed for a SIEM.",
}
PATH_PARAMETERS = {
    "org": "The organization's id or slug.",
    "member_id": "The member's id (also their SCIM User id).",
    "group_id": "The group's id (also its SCIM Group id).",
    "token_id": "The SCIM token's id.",
}


def finish_document(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: tag each operation with its resource, describe the
    path parameters, and say that request bodies refuse unknown fields
    (``api.serializers.common.StrictSerializer``)."""
    for path, item in result.get("paths", {}).items():
        parts = path.removeprefix(API_PREFIX).strip("/").split("/")
        tag = parts[2] if len(parts) > 2 else "organizations"
        for operation in item.values():
            operation["tags"] = [tag]
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] in PATH_PARAMETERS:
                    parameter["description"] = PATH_PARAMETERS[parameter["name"]]
    result["tags"] = [{"name": name, "description": text} for name, text in TAGS.items()]
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    return result


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API key (`rst_api_…`), created on the admin's API keys "
                           "page: `Authorization: Bearer <key>`.",
        }

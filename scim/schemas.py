"""What we advertise: ServiceProviderConfig, ResourceTypes and Schemas.

The User and Group schemas list exactly the attributes the adapters read and write, so a
client that trusts discovery (scim2-tester does, and so do careful IdPs) never sends what we
would drop. The three RFC 7643 §5–7 meta-schemas are django-scim2's own copies.
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django_scim.schemas import load_schemas
from django_scim.settings import scim_settings

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"

ENTERPRISE_ATTRIBUTES = ("employeeNumber", "costCenter", "organization", "division", "department")


@functools.cache
def base_url() -> str:
    """The SCIM base URL an admin pastes into Okta; locations are built on it. Kept once
    worked out (every document of a page asks for it; reading two settings through Django's
    lazy settings object each time cost about 2 µs a document), and forgotten when either
    setting changes (``override_settings`` in tests)."""
    return settings.BASE_URL.rstrip("/") + settings.SCIM_PATH


@receiver(setting_changed)
def _base_url_changed(*, setting: str, **_: Any) -> None:
    if setting in ("BASE_URL", "SCIM_PATH"):
        base_url.cache_clear()


def _attr(
    name: str, type_: str = "string", *, description: str, required: bool = False,
    multi: bool = False, case_exact: bool = False, mutability: str = "readWrite",
    returned: str = "default", uniqueness: str = "none", sub: list[dict[str, Any]] | None = None,
    reference_types: list[str] | None = None, canonical: list[str] | None = None,
) -> dict[str, Any]:
    attr: dict[str, Any] = {
        "name": name, "type": type_, "multiValued": multi, "description": description,
        "required": required, "mutability": mutability, "returned": returned,
    }
    if type_ in ("string", "reference"):
        attr["caseExact"] = case_exact
        attr["uniqueness"] = uniqueness
    if canonical:
        attr["canonicalValues"] = canonical
    if reference_types:
        attr["referenceTypes"] = reference_types
    if sub is not None:
        attr["subAttributes"] = sub
    return attr


def _schema(schema_id: str, name: str, description: str, attributes: list) -> dict[str, Any]:
    return {
        "schemas": [SCHEMA_SCHEMA],
        "id": schema_id,
        "name": name,
        "description": description,
        "attributes": attributes,
        "meta": {"resourceType": "Schema", "location": f"{base_url()}/Schemas/{schema_id}"},
    }


def user_schema() -> dict[str, Any]:
    return _schema(USER_SCHEMA, "User", "A member of the organization.", [
        _attr("userName", required=True, uniqueness="server",
              description="The IdP's username for the member (often an email address or a "
                          "user principal name); unique in the organization, compared "
                          "case-insensitively. Matched first against the SAML NameID."),
        # Listed because Entra's gallery check compares every mapped target attribute with
        # /Schemas (RFC 7643 §3.1 makes it a common attribute of every resource).
        _attr("externalId", case_exact=True, uniqueness="server",
              description="The IdP's own identifier for the member; unique in the "
                          "organization, compared case-insensitively."),
        _attr("name", "complex", description="The member's name.", sub=[
            _attr("formatted", description="The full name as the IdP formats it."),
            _attr("familyName", description="Family name."),
            _attr("givenName", description="Given name."),
        ]),
        _attr("displayName", description="The name shown for the member."),
        # RFC 7643 §4.1.1 singular attributes that Entra ID maps by default (title,
        # preferredLanguage) or offers in its target list; kept as the IdP sends them.
        _attr("nickName", description="The casual name the member goes by."),
        _attr("profileUrl", "reference", reference_types=["external"],
              description="A URI of the member's online profile."),
        _attr("title", description="The member's job title."),
        _attr("userType", description="How the organization classifies the member "
                                      "(e.g. Employee, Contractor)."),
        _attr("preferredLanguage", description="The member's preferred written or spoken "
                                               "language (e.g. en-US)."),
        _attr("locale", description="The member's default location for localisation "
                                    "(e.g. en-US)."),
        _attr("timezone", description="The member's time zone (e.g. America/Los_Angeles)."),
        # Required here because a member must have an email to be invited; when it is absent
        # a userName that is an email address is used instead.
        _attr("emails", "complex", multi=True, required=True,
              description="Email addresses; the primary one is the address the organization "
                          "knows the member by (invitations go there).",
              sub=[
                  _attr("value", required=True, description="An email address."),
                  _attr("type", description="work, home or other.",
                        canonical=["work", "home", "other"]),
                  _attr("primary", "boolean", description="The primary address."),
              ]),
        _attr("phoneNumbers", "complex", multi=True,
              description="Phone numbers; at most one of each type is usual.", sub=[
                  _attr("value", description="A phone number, as the IdP formats it."),
                  _attr("type", description="work, mobile, fax, home, pager or other.",
                        canonical=["work", "mobile", "fax", "home", "pager", "other"]),
                  _attr("primary", "boolean", description="The primary number."),
              ]),
        _attr("addresses", "complex", multi=True, description="Physical mailing addresses.",
              sub=[
                  _attr("formatted", description="The full address, as it would be printed."),
                  _attr("streetAddress", description="Street, house number and the like."),
                  _attr("locality", description="City or locality."),
                  _attr("region", description="State or region."),
                  _attr("postalCode", description="Zip or postal code."),
                  _attr("country", description="Country, ISO 3166-1 alpha-2 (e.g. US)."),
                  _attr("type", description="work, home or other.",
                        canonical=["work", "home", "other"]),
                  _attr("primary", "boolean", description="The primary address."),
              ]),
        # Required: every member is active or deactivated; there is no third state to remove to.
        _attr("active", "boolean", required=True,
              description="False when deprovisioned: access stops, the membership is kept."),
        _attr("groups", "complex", multi=True, mutability="readOnly",
              description="Groups the member belongs to; change them through Groups.", sub=[
                  _attr("value", mutability="readOnly", description="The group's id."),
                  _attr("$ref", "reference", mutability="readOnly", reference_types=["Group"],
                        description="The group's URI."),
                  _attr("display", mutability="readOnly", description="The group's name."),
              ]),
    ])


def enterprise_schema() -> dict[str, Any]:
    return _schema(ENTERPRISE_SCHEMA, "EnterpriseUser", "Enterprise User extension.", [
        *(_attr(name, description=f"The member's {name}.") for name in ENTERPRISE_ATTRIBUTES),
        # Entra maps its manager reference to the manager's id here (a bare id string in its
        # PATCHes). Kept as sent; $ref and displayName are not kept, so not advertised.
        _attr("manager", "complex", description="The member's manager.", sub=[
            _attr("value", description="The manager's User id."),
        ]),
    ])


def group_schema() -> dict[str, Any]:
    return _schema(GROUP_SCHEMA, "Group", "A group of members of the organization.", [
        _attr("displayName", required=True, uniqueness="server",
              description="The group's name; unique in the organization, case-insensitively."),
        _attr("members", "complex", multi=True, description="Members of the group.", sub=[
            _attr("value", mutability="immutable", description="The member's User id."),
            _attr("$ref", "reference", mutability="immutable", reference_types=["User"],
                  description="The member's User URI."),
        ]),
    ])


def _sub(name: str, kind: str, description: str, required: bool = False) -> dict[str, Any]:
    return {"name": name, "type": kind, "multiValued": False, "description": description,
            "required": required, "caseExact": False, "mutability": "readOnly",
            "returned": "default", "uniqueness": "none"}


# RFC 9865 §4: the ServiceProviderConfig attribute that advertises cursor paging.
PAGINATION_ATTRIBUTE = {
    "name": "pagination", "type": "complex", "multiValued": False,
    "description": "Pagination configuration options (RFC 9865).", "required": False,
    "mutability": "readOnly", "returned": "default", "uniqueness": "none",
    "subAttributes": [
        _sub("cursor", "boolean", "Whether cursor-based pagination is supported.", True),
        _sub("index", "boolean", "Whether index-based pagination is supported.", True),
        _sub("defaultPaginationMethod", "string",
             "The pagination used when a request names none: cursor or index."),
        _sub("defaultPageSize", "integer", "Results in a page when count is not given."),
        _sub("maxPageSize", "integer", "The most results a page holds, whatever count asks."),
        _sub("cursorTimeout", "integer", "Seconds a cursor stays valid between pages."),
    ],
}


def _meta_schemas() -> list[dict[str, Any]]:
    """RFC 7643's schemas for the discovery resources themselves, as django-scim2 ships them."""
    wanted = {SPC_SCHEMA, RESOURCE_TYPE_SCHEMA, SCHEMA_SCHEMA}
    found = []
    for schema in load_schemas():
        if schema.get("id") in wanted:
            schema = dict(schema)
            schema["schemas"] = [SCHEMA_SCHEMA]
            # "name" is free text (RFC 7643 §7); use the resource names clients look up.
            schema["name"] = schema["id"].rsplit(":", 1)[-1]
            schema["meta"] = {
                "resourceType": "Schema", "location": f"{base_url()}/Schemas/{schema['id']}",
            }
            if schema["id"] == SPC_SCHEMA:
                schema["attributes"] = [*schema["attributes"], PAGINATION_ATTRIBUTE]
            found.append(schema)
    return found



def all_schemas() -> list[dict[str, Any]]:
    return [user_schema(), group_schema(), enterprise_schema(), *_meta_schemas()]


def resource_types() -> list[dict[str, Any]]:
    return [
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "Members of the organization.",
            "schema": USER_SCHEMA,
            "schemaExtensions": [{"schema": ENTERPRISE_SCHEMA, "required": False}],
            "meta": {
                "resourceType": "ResourceType", "location": f"{base_url()}/ResourceTypes/User",
            },
        },
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "Groups of members.",
            "schema": GROUP_SCHEMA,
            "meta": {
                "resourceType": "ResourceType", "location": f"{base_url()}/ResourceTypes/Group",
            },
        },
    ]


def service_provider_config() -> dict[str, Any]:
    return {
        "schemas": [SPC_SCHEMA],
        "documentationUri": f"{settings.BASE_URL}/admin/",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": settings.SCIM_MAX_RESULTS},
        # RFC 9865: cursors as well as startIndex; cursors hold a position only and never
        # expire (so no cursorTimeout).
        "pagination": {
            "cursor": True, "index": True, "defaultPaginationMethod": "index",
            "defaultPageSize": settings.SCIM_MAX_RESULTS, "maxPageSize": settings.SCIM_MAX_RESULTS,
        },
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": scim_settings.AUTHENTICATION_SCHEMES,
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": f"{base_url()}/ServiceProviderConfig",
        },
    }

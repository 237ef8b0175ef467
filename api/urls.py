"""/api/v1/ routes. Each takes an optional trailing slash; anything else under /api/ is the API's
JSON 404. ``{org}`` is an organization's id or slug."""

from __future__ import annotations

from typing import Any

from django.urls import re_path

from api.views import audit, groups, members, misc, organizations, saml, scim_tokens

app_name = "api"

ORG = r"organizations/(?P<org>[^/]+)"


def route(pattern: str, view: Any, name: str) -> Any:
    return re_path(rf"^v1/{pattern}/?$", view, name=name)


urlpatterns = [
    route("schema", misc.SchemaView.as_view(), "schema"),
    route("docs", misc.DocsView.as_view(url_name="api:schema"), "docs"),
    route("organizations", organizations.OrganizationListView.as_view(), "organizations"),
    route(ORG, organizations.OrganizationView.as_view(), "organization"),
    route(f"{ORG}/members", members.MemberListView.as_view(), "members"),
    route(f"{ORG}/members/(?P<member_id>[^/]+)", members.MemberView.as_view(), "member"),
    route(f"{ORG}/members/(?P<member_id>[^/]+)/deactivate",
          members.MemberDeactivateView.as_view(), "member-deactivate"),
    route(f"{ORG}/members/(?P<member_id>[^/]+)/reactivate",
          members.MemberReactivateView.as_view(), "member-reactivate"),
    route(f"{ORG}/groups", groups.GroupListView.as_view(), "groups"),
    route(f"{ORG}/groups/(?P<group_id>[^/]+)", groups.GroupView.as_view(), "group"),
    route(f"{ORG}/scim-tokens", scim_tokens.ScimTokenListView.as_view(), "scim-tokens"),
    route(f"{ORG}/scim-tokens/(?P<token_id>[^/]+)", scim_tokens.ScimTokenView.as_view(),
          "scim-token"),
    route(f"{ORG}/scim-tokens/(?P<token_id>[^/]+)/revoke",
          scim_tokens.ScimTokenRevokeView.as_view(), "scim-token-revoke"),
    route(f"{ORG}/saml-connection", saml.SamlConnectionView.as_view(), "saml-connection"),
    route(f"{ORG}/audit-events", audit.AuditEventListView.as_view(), "audit-events"),
    re_path(r"^.*$", misc.NotFoundView.as_view(), name="not-found"),
]

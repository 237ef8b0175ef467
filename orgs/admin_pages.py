"""What a page added to the organization's admin gets from the admin that hosts it.

The SSO page's tabs live with the apps that own them (``sso.admin_saml``, ``scim.admin_views``)
and are composed into the organization admin in one place, ``console``. The page functions are
typed against this protocol, so neither app imports the other or the composing admin.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.http import HttpRequest
from django.template.response import TemplateResponse

from orgs.models import Organization


class OrganizationPageHost(Protocol):
    def sso_url_name(self, name: str) -> str: ...

    def sso_url(self, name: str, org: Organization, *args: Any) -> str: ...

    def sso_context(
        self, request: HttpRequest, org: Organization, *, tab: str, title: str,
        crumbs: list[tuple[str, str]] | None = None, **extra: Any,
    ) -> dict[str, Any]: ...

    def sso_render(
        self, request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
    ) -> TemplateResponse: ...

"""The organization's SSO page in the admin (SAML and Provisioning tabs).

Mixed into ``orgs.admin.OrganizationAdmin`` by ``console.admin``, and built the way
``contrib.auth``'s ``UserAdmin`` adds its password page: ``get_urls`` prepends views wrapped in
``admin_site.admin_view`` (login, staff check, ``never_cache``), every view fetches the
organization through the tenancy-scoped ``sso_organization`` (``can_administer``, else 403
whether or not the id exists), and renders a ``TemplateResponse`` whose context starts from
``admin_site.each_context``.

The Provisioning tab's views live in ``scim.admin_views``; the SAML tab's (``sso_saml.html``,
its settings form, activation and Enforce SAML SSO) in ``sso.admin_saml``. Both are typed
against ``orgs.admin_pages.OrganizationPageHost``, which this mixin implements.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import escape
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orgs.models import Organization
from orgs.permissions import administered_org_ids, can_administer
from scim import admin_views as provisioning
from sso import admin_saml as saml_admin

TEMPLATE_DIR = "admin/orgs/organization"
GET_POST = require_http_methods(["GET", "HEAD", "POST"])
TAB_LABELS = {"saml": "SAML", "provisioning": "Provisioning"}


class OrganizationSsoPagesMixin(admin.ModelAdmin):
    """Adds /admin/orgs/organization/<id>/sso/… pages to the organization admin."""

    def get_urls(self) -> list[URLPattern]:
        def page(route: str, view: Any, name: str, **kwargs: Any) -> URLPattern:
            return path(
                f"<id>/sso/{route}",
                self.admin_site.admin_view(view),
                kwargs or None,
                name=self.sso_url_name(name),
            )

        pages = [
            page("", require_GET(self.sso_view), "sso"),
            page("saml/", require_GET(self.saml_tab_view), "sso_saml"),
            *[page(f"saml/{action}/", require_POST(self.saml_action_view), f"saml_{action}",
                   action=action) for action in saml_admin.ACTIONS],
            page("provisioning/", require_GET(self.provisioning_tab_view), "sso_provisioning"),
            page("provisioning/scim/enable/", GET_POST(self.scim_toggle_view), "scim_enable",
                 enabled=True),
            page("provisioning/scim/disable/", GET_POST(self.scim_toggle_view), "scim_disable",
                 enabled=False),
            page("provisioning/tokens/", require_GET(self.scim_tokens_view), "scim_tokens"),
            page("provisioning/tokens/create/", GET_POST(self.scim_token_create_view),
                 "scim_token_create"),
            page("provisioning/tokens/<int:token_id>/revoke/",
                 GET_POST(self.scim_token_revoke_view), "scim_token_revoke"),
            page("provisioning/group-role-mappings/add/",
                 GET_POST(self.group_role_mapping_add_view), "group_role_mapping_add"),
            page("provisioning/group-role-mappings/<int:mapping_id>/delete/",
                 GET_POST(self.group_role_mapping_delete_view), "group_role_mapping_delete"),
        ]
        return pages + super().get_urls()

    # --- shared helpers (also used by scim.admin_views) -----------------------------------

    def sso_url_name(self, name: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{name}"

    def sso_url(self, name: str, org: Organization, *args: Any) -> str:
        return reverse(
            f"{self.admin_site.name}:{self.sso_url_name(name)}", args=(org.pk, *args)
        )

    def sso_organization(self, request: HttpRequest, object_id: str) -> Organization:
        """The organization the URL names, if this user administers it.

        ``can_administer`` is the one rule. Anyone but a superuser who does not administer the
        id in the URL gets 403 before any lookup, whether or not such an organization exists,
        so the answer confirms nothing; a superuser gets 404 for an id that does not exist.
        """
        object_id = unquote(object_id)
        if administered_org_ids(request) is not None:
            try:
                org_id = uuid.UUID(object_id)
            except ValueError:
                raise PermissionDenied from None
            if not can_administer(request, org_id):
                raise PermissionDenied
        org = self.get_object(request, object_id)
        if org is None:
            raise Http404(f"Organization with id {escape(object_id)!s} does not exist.")
        return org

    def sso_context(
        self,
        request: HttpRequest,
        org: Organization,
        *,
        tab: str,
        title: str,
        crumbs: list[tuple[str, str]] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """The admin's own context plus what the SSO page's base template and tabs need.

        ``crumbs`` are the breadcrumbs after "SSO": (label, url) pairs, the last one unlinked.
        """
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": org.name,
            "opts": self.opts,
            "original": org,
            "org": org,
            "has_view_permission": True,
            "active_tab": tab,
            "crumbs": crumbs or [(TAB_LABELS[tab], "")],
            "sso_url": self.sso_url("sso", org),
            "saml_tab_url": self.sso_url("sso_saml", org),
            "provisioning_tab_url": self.sso_url("sso_provisioning", org),
            "change_url": reverse(
                f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_change",
                args=(org.pk,),
            ),
            **extra,
        }

    def sso_render(
        self, request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
    ) -> TemplateResponse:
        request.current_app = self.admin_site.name
        return TemplateResponse(request, f"{TEMPLATE_DIR}/{template}", context, status=status)

    # --- the SSO page and its SAML tab ----------------------------------------------------

    def sso_view(self, request: HttpRequest, id: str) -> HttpResponse:
        """The SSO page opens on its first tab, SAML, as in the product's walkthrough."""
        org = self.sso_organization(request, id)
        return HttpResponseRedirect(self.sso_url("sso_saml", org))

    def saml_tab_view(self, request: HttpRequest, id: str) -> HttpResponse:
        """The SAML tab (views in ``sso.admin_saml``)."""
        return saml_admin.saml_tab(self, request, self.sso_organization(request, id))

    def saml_action_view(self, request: HttpRequest, id: str, action: str) -> HttpResponse:
        org = self.sso_organization(request, id)
        return saml_admin.saml_action(self, request, org, action=action)

    # --- the Provisioning tab (views in scim.admin_views) --------------------------------

    def provisioning_tab_view(self, request: HttpRequest, id: str) -> HttpResponse:
        return provisioning.provisioning_tab(self, request, self.sso_organization(request, id))

    def scim_toggle_view(self, request: HttpRequest, id: str, enabled: bool) -> HttpResponse:
        org = self.sso_organization(request, id)
        return provisioning.scim_toggle(self, request, org, enabled=enabled)

    def scim_tokens_view(self, request: HttpRequest, id: str) -> HttpResponse:
        return provisioning.scim_tokens(self, request, self.sso_organization(request, id))

    def scim_token_create_view(self, request: HttpRequest, id: str) -> HttpResponse:
        return provisioning.scim_token_create(self, request, self.sso_organization(request, id))

    def scim_token_revoke_view(self, request: HttpRequest, id: str, token_id: int) -> HttpResponse:
        org = self.sso_organization(request, id)
        return provisioning.scim_token_revoke(self, request, org, token_id=token_id)

    def group_role_mapping_add_view(self, request: HttpRequest, id: str) -> HttpResponse:
        org = self.sso_organization(request, id)
        return provisioning.group_role_mapping_add(self, request, org)

    def group_role_mapping_delete_view(
        self, request: HttpRequest, id: str, mapping_id: int
    ) -> HttpResponse:
        org = self.sso_organization(request, id)
        return provisioning.group_role_mapping_delete(self, request, org, mapping_id=mapping_id)

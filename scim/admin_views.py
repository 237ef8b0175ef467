"""The SSO page's Provisioning tab: the provisioning overview, the SCIM toggle, group role
mappings and SCIM activity (the token pages are ``scim.admin_tokens``).

Called by ``console.sso_page.OrganizationSsoPagesMixin`` once it has fetched the organization and
checked that the user administers it; the ``admin`` argument is that ModelAdmin (for the admin
context, URLs and rendering). These views translate: forms in, services out, results back as
admin messages. Every change is a POST (CSRF-checked by the middleware) calling a service that
writes its own audit event. Redirects after a change carry no #anchor, so the confirmation
message at the top of the page is what the admin sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse

from orgs import services as org_services
from orgs.audit import Actor
from orgs.exceptions import DomainError, FeatureNotAvailable
from orgs.models import GroupRoleMapping, Organization, Role
from scim import activity, overview
from scim import services as scim_services
from scim.admin_forms import GroupRoleMappingForm
from scim.admin_requests import request_log_context
from scim.models import ScimToken
from scim.schemas import base_url

if TYPE_CHECKING:
    from orgs.admin_pages import OrganizationPageHost as SsoAdmin

RECENT_ACTIVITY = 5  # request rows on the tab; the activity page has them all


@dataclass(frozen=True)
class ScimToggle:
    """The toggle's state: whether SCIM may be turned on, and if not, why and what to do."""

    enabled: bool
    can_enable: bool
    saml_inactive: bool = False  # the blocker is SAML: SCIM calls are refused while it lasts
    reason: str = ""
    remedy: str = ""
    remedy_url: str = ""
    remedy_label: str = ""


def scim_toggle_state(admin: SsoAdmin, request: HttpRequest, org: Organization) -> ScimToggle:
    """The toggle, with the reason ``organization_scim_enable_blocker`` gives when SCIM cannot
    be turned on, and what this admin can do about it."""
    blocker = scim_services.organization_scim_enable_blocker(organization=org)
    if blocker is None:
        return ScimToggle(enabled=org.scim_enabled, can_enable=True)
    if isinstance(blocker, FeatureNotAvailable):
        superuser = request.user.is_superuser
        return ScimToggle(
            enabled=org.scim_enabled, can_enable=False, reason=blocker.message,
            remedy=("Change the organization's plan to Enterprise." if superuser else
                    "Ask your Roster operator to move this organization to the Enterprise "
                    "plan."),
            remedy_url=admin.sso_url("change", org) if superuser else "",
            remedy_label="Change the plan",
        )
    return ScimToggle(
        enabled=org.scim_enabled, can_enable=False, saml_inactive=True, reason=blocker.message,
        remedy="Configure and activate SAML SSO on the SAML tab first.",
        remedy_url=admin.sso_url("sso_saml", org),
        remedy_label="Open the SAML tab",
    )


def _actor(request: HttpRequest) -> Actor:
    return Actor.for_user(request.user, request)


def request_log_url(admin: SsoAdmin, org: Organization) -> Any:
    """A function giving the SCIM request log's page of a request id ("" for none)."""
    return lambda request_id: (
        admin.sso_url("scim_request_by_id", org, request_id) if request_id else ""
    )


# --- the tab ---------------------------------------------------------------------------------


def provisioning_tab(
    admin: SsoAdmin,
    request: HttpRequest,
    org: Organization,
    *,
    mapping_form: GroupRoleMappingForm | None = None,
) -> HttpResponse:
    traffic = overview.scim_traffic(organization=org, days=30)
    recent = activity.latest_rows(
        organization=org, limit=RECENT_ACTIVITY, request_url=request_log_url(admin, org),
    )
    tokens = ScimToken.objects.filter(organization=org)
    context = admin.sso_context(
        request, org, tab="provisioning", title="Single Sign-On (SSO)",
        toggle=scim_toggle_state(admin, request, org),
        scim_url=base_url(),
        base_url_problem=overview.base_url_problem(),
        member_counts=overview.member_counts(organization=org),
        charts=[overview.traffic_chart(traffic[-7:]), overview.traffic_chart(traffic)],
        last_contact=overview.last_contact(organization=org),
        active_token_count=tokens.usable().count(),
        token_count=tokens.count(),
        activity=recent,
        activity_url=admin.sso_url("scim_activity", org),
        mappings=GroupRoleMapping.objects.filter(organization=org).order_by("idp_group_name"),
        mapping_form=mapping_form or GroupRoleMappingForm(),
        scim_enable_url=admin.sso_url("scim_enable", org),
        scim_disable_url=admin.sso_url("scim_disable", org),
        tokens_url=admin.sso_url("scim_tokens", org),
        mapping_add_url=admin.sso_url("group_role_mapping_add", org),
        **request_log_context(admin, request, org),
    )
    return admin.sso_render(request, "sso_provisioning.html", context)


def scim_activity(admin: SsoAdmin, request: HttpRequest, org: Organization) -> HttpResponse:
    """Every IdP request, newest first, in words with what changed: filters and pages."""
    filters = activity.Filters.from_query(request.GET)
    page, rows = activity.activity_page(
        organization=org, filters=filters, page=request.GET.get("page", 1),
        request_url=request_log_url(admin, org),
    )
    audit_query: dict[str, Any] = {"organization__id__exact": org.pk}
    if filters.action:
        audit_query["action"] = filters.action
    tab_url = admin.sso_url("sso_provisioning", org)
    context = admin.sso_context(
        request, org, tab="provisioning", title="SCIM activity",
        crumbs=[("Provisioning", tab_url), ("SCIM activity", "")],
        activity=rows,
        page=page,
        filters=filters,
        filter_query=urlencode(filters.as_query()),
        event_actions=activity.activity_actions(organization=org),
        periods=activity.PERIODS,
        audit_log_url=reverse("admin:orgs_auditevent_changelist") + "?" + urlencode(audit_query),
        tab_url=tab_url,
    )
    return admin.sso_render(request, "scim_activity.html", context)


# --- the toggle ------------------------------------------------------------------------------


def scim_toggle(
    admin: SsoAdmin, request: HttpRequest, org: Organization, *, enabled: bool
) -> HttpResponse:
    """GET asks for confirmation; POST turns SCIM on or off through the service, which checks
    the plan and the SAML connection and writes ``org.scim.enabled``/``org.scim.disabled``."""
    tab_url = admin.sso_url("sso_provisioning", org)
    if request.method == "POST":
        try:
            scim_services.organization_set_scim_enabled(
                organization=org, enabled=enabled, actor=_actor(request)
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(tab_url)
        if enabled:
            messages.success(
                request,
                f"SCIM provisioning is enabled for {org.name}. Next: create a SCIM token for "
                "Okta under Manage SCIM Tokens.",
            )
        else:
            messages.success(
                request,
                f"SCIM provisioning is disabled for {org.name}: the SCIM API now refuses "
                "every call. Tokens, members and groups are kept.",
            )
        return HttpResponseRedirect(tab_url)
    verb = "Enable" if enabled else "Disable"
    context = admin.sso_context(
        request, org, tab="provisioning", title=f"{verb} SCIM provisioning",
        crumbs=[("Provisioning", tab_url), (f"{verb} SCIM provisioning", "")],
        enabling=enabled,
        toggle=scim_toggle_state(admin, request, org),
        tab_url=tab_url,
    )
    return admin.sso_render(request, "scim_toggle_confirm.html", context)


# --- group role mappings ---------------------------------------------------------------------


def group_role_mapping_add(
    admin: SsoAdmin, request: HttpRequest, org: Organization
) -> HttpResponse:
    """Add a mapping. A name already mapped (ignoring case) to another role is not replaced
    silently: the admin confirms the replacement on a page of its own first."""
    tab_url = admin.sso_url("sso_provisioning", org)
    if request.method != "POST":
        return HttpResponseRedirect(tab_url)
    form = GroupRoleMappingForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            mapping = org_services.group_role_mapping_set(
                organization=org, idp_group_name=data["idp_group_name"], role=data["role"],
                actor=_actor(request), replace=data["replace"],
            )
        except org_services.MappingExists as exists:
            context = admin.sso_context(
                request, org, tab="provisioning", title="Replace group role mapping",
                crumbs=[("Provisioning", tab_url), ("Replace group role mapping", "")],
                existing=exists.mapping, new_role=Role(data["role"]), form=form,
                add_url=admin.sso_url("group_role_mapping_add", org), tab_url=tab_url,
            )
            return admin.sso_render(request, "group_role_mapping_replace.html", context)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            rule = (f"members provisioned by SCIM who have not signed in yet get the role "
                    f"{mapping.get_role_display()} when the IdP pushes the group "
                    f"“{mapping.idp_group_name}” with them.")
            messages.success(request, (
                f"Replaced the mapping for “{mapping.idp_group_name}”: now {rule}"
                if data["replace"] else rule[0].upper() + rule[1:]
            ))
            return HttpResponseRedirect(tab_url)
    return provisioning_tab(admin, request, org, mapping_form=form)


def group_role_mapping_delete(
    admin: SsoAdmin, request: HttpRequest, org: Organization, *, mapping_id: int
) -> HttpResponse:
    mapping = get_object_or_404(GroupRoleMapping, pk=mapping_id, organization=org)
    tab_url = admin.sso_url("sso_provisioning", org)
    if request.method == "POST":
        org_services.group_role_mapping_delete(mapping=mapping, actor=_actor(request))
        messages.success(request, f"Deleted the mapping for “{mapping.idp_group_name}”.")
        return HttpResponseRedirect(tab_url)
    context = admin.sso_context(
        request, org, tab="provisioning", title="Delete group role mapping",
        crumbs=[("Provisioning", tab_url), ("Delete group role mapping", "")],
        mapping=mapping,
        tab_url=tab_url,
    )
    return admin.sso_render(request, "group_role_mapping_delete.html", context)

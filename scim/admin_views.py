"""The SSO page's Provisioning tab: the SCIM toggle, SCIM tokens, SCIM activity and group role
mappings.

Called by ``console.sso_page.OrganizationSsoPagesMixin`` once it has fetched the organization and
checked that the user administers it; the ``admin`` argument is that ModelAdmin (for the admin
context, URLs and rendering). These views translate: forms in, services out, results back as
admin messages. Every change is a POST (CSRF-checked by the middleware) calling a service that
writes its own audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from orgs import services as org_services
from orgs.audit import Actor
from orgs.exceptions import DomainError, FeatureNotAvailable
from orgs.models import AuditEvent, GroupRoleMapping, Organization
from orgs.selectors import audit_event_list
from scim import services as scim_services
from scim.admin_forms import (
    GroupRoleMappingForm,
    ScimTokenCreateForm,
    consume_nonce,
    issue_nonce,
)
from scim.models import ScimToken
from scim.schemas import base_url

if TYPE_CHECKING:
    from orgs.admin_pages import OrganizationPageHost as SsoAdmin

SCIM_ACTIVITY_LIMIT = 25
SCIM_ACTION_PREFIXES = ("scim.", "org.scim.")


@dataclass(frozen=True)
class ScimToggle:
    """The toggle's state: whether SCIM may be turned on, and if not, why and what to do."""

    enabled: bool
    can_enable: bool
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
        enabled=org.scim_enabled, can_enable=False, reason=blocker.message,
        remedy="Configure and activate SAML SSO on the SAML tab first.",
        remedy_url=admin.sso_url("sso_saml", org),
        remedy_label="Open the SAML tab",
    )


def _actor(request: HttpRequest) -> Actor:
    return Actor.for_user(request.user, request)


def _redirect(url: str, anchor: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{url}#{anchor}" if anchor else url)


def scim_activity(
    *, organization: Organization, action: str = ""
) -> tuple[QuerySet[AuditEvent], list[str]]:
    """The organization's SCIM events, newest first (optionally one action), and the actions
    that occur among them, for the filter."""
    prefixes = Q()
    for prefix in SCIM_ACTION_PREFIXES:
        prefixes |= Q(action__startswith=prefix)
    events = audit_event_list(organization=organization).filter(prefixes)
    actions = list(events.order_by("action").values_list("action", flat=True).distinct())
    if action:
        events = events.filter(action=action)
    return events, actions


# --- the tab ---------------------------------------------------------------------------------


def provisioning_tab(
    admin: SsoAdmin,
    request: HttpRequest,
    org: Organization,
    *,
    mapping_form: GroupRoleMappingForm | None = None,
) -> HttpResponse:
    action = request.GET.get("action", "").strip()
    events, actions = scim_activity(organization=org, action=action)
    audit_query: dict[str, Any] = {"organization__id__exact": org.pk}
    if action:
        audit_query["action"] = action
    tokens = ScimToken.objects.filter(organization=org)
    usable = tokens.usable()
    context = admin.sso_context(
        request, org, tab="provisioning", title="Single Sign-On (SSO)",
        toggle=scim_toggle_state(admin, request, org),
        scim_url=base_url(),
        active_token_count=usable.count(),
        token_count=tokens.count(),
        events=events[:SCIM_ACTIVITY_LIMIT],
        event_actions=actions,
        selected_action=action,
        activity_limit=SCIM_ACTIVITY_LIMIT,
        audit_log_url=reverse("admin:orgs_auditevent_changelist") + "?" + urlencode(audit_query),
        mappings=GroupRoleMapping.objects.filter(organization=org).order_by("idp_group_name"),
        mapping_form=mapping_form or GroupRoleMappingForm(),
        scim_enable_url=admin.sso_url("scim_enable", org),
        scim_disable_url=admin.sso_url("scim_disable", org),
        tokens_url=admin.sso_url("scim_tokens", org),
        mapping_add_url=admin.sso_url("group_role_mapping_add", org),
    )
    return admin.sso_render(request, "sso_provisioning.html", context)


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
            return _redirect(tab_url, "scim-provisioning")
        if enabled:
            messages.success(
                request,
                f"SCIM provisioning is enabled for {org.name}. Create a SCIM token for Okta "
                "under Manage SCIM Tokens.",
            )
        else:
            messages.success(
                request,
                f"SCIM provisioning is disabled for {org.name}: the SCIM API now refuses "
                "every call. Tokens, members and groups are kept.",
            )
        return _redirect(tab_url, "scim-provisioning")
    verb = "Enable" if enabled else "Disable"
    context = admin.sso_context(
        request, org, tab="provisioning", title=f"{verb} SCIM provisioning",
        crumbs=[("Provisioning", tab_url), (f"{verb} SCIM provisioning", "")],
        enabling=enabled,
        toggle=scim_toggle_state(admin, request, org),
        tab_url=tab_url,
    )
    return admin.sso_render(request, "scim_toggle_confirm.html", context)


# --- tokens ----------------------------------------------------------------------------------


def scim_tokens(
    admin: SsoAdmin,
    request: HttpRequest,
    org: Organization,
    *,
    form: ScimTokenCreateForm | None = None,
) -> HttpResponse:
    """Manage SCIM Tokens: the table and the Create form."""
    tab_url = admin.sso_url("sso_provisioning", org)
    tokens = ScimToken.objects.filter(organization=org).select_related("created_by")
    context = admin.sso_context(
        request, org, tab="provisioning", title="Manage SCIM Tokens",
        crumbs=[("Provisioning", tab_url), ("Manage SCIM Tokens", "")],
        tokens=tokens.order_by("-created_at", "-id"),
        form=form or ScimTokenCreateForm(),
        create_url=admin.sso_url("scim_token_create", org),
        revoke_url_name=admin.sso_url_name("scim_token_revoke"),
        scim_enabled=org.scim_enabled,
        tab_url=tab_url,
    )
    return admin.sso_render(request, "scim_tokens.html", context)


def scim_token_create(admin: SsoAdmin, request: HttpRequest, org: Organization) -> HttpResponse:
    """Create a token and show it exactly once.

    How the plaintext stays shown-once: the POST's own response renders it (no redirect
    carries it, no session or cache holds it) with ``Cache-Control: no-store``, so the browser
    keeps no copy for Back. A reload re-POSTs the same form, but the form's signed one-time
    nonce was consumed by the first submission (``consume_nonce``, in the shared cache), so the
    replay creates nothing and lands on the tokens page with a warning — never the token.
    The plaintext is never logged, never in a URL, and the service records only its prefix.
    """
    tokens_url = admin.sso_url("scim_tokens", org)
    if request.method != "POST":
        return _redirect(tokens_url, "create")
    form = ScimTokenCreateForm(request.POST)
    if not form.is_valid():
        return scim_tokens(admin, request, org, form=form)
    if not consume_nonce(form.cleaned_data["nonce"]):
        messages.warning(
            request,
            "This Create form was already submitted, so no new token was made and the token is "
            "not shown again. If you did not copy it, revoke it and create a new one.",
        )
        return _redirect(tokens_url)
    try:
        created = scim_services.scim_token_create(
            organization=org, actor=_actor(request), created_by=request.user,
            description=form.cleaned_data["description"], ttl_days=form.cleaned_data["ttl_days"],
        )
    except DomainError as exc:
        retry = ScimTokenCreateForm({**form.cleaned_data, "nonce": issue_nonce()})
        retry.is_valid()
        retry.add_error(None, exc.message)
        return scim_tokens(admin, request, org, form=retry)
    context = admin.sso_context(
        request, org, tab="provisioning", title="New SCIM Token",
        crumbs=[("Provisioning", admin.sso_url("sso_provisioning", org)),
                ("Manage SCIM Tokens", tokens_url), ("New SCIM Token", "")],
        token=created.token,
        plaintext=created.plaintext,
        scim_url=base_url(),
        scim_enabled=org.scim_enabled,
        tokens_url=tokens_url,
    )
    response = admin.sso_render(request, "scim_token_created.html", context)
    add_never_cache_headers(response)  # no-store: Back must not bring the token back
    response["Referrer-Policy"] = "no-referrer"
    return response


def scim_token_revoke(
    admin: SsoAdmin, request: HttpRequest, org: Organization, *, token_id: int
) -> HttpResponse:
    token = get_object_or_404(
        ScimToken.objects.select_related("created_by"), pk=token_id, organization=org
    )
    tokens_url = admin.sso_url("scim_tokens", org)
    if request.method == "POST":
        if token.revoked_at is not None:
            messages.info(request, f"Token {token.prefix}… was already revoked.")
            return _redirect(tokens_url)
        scim_services.scim_token_revoke(token=token, actor=_actor(request))
        messages.success(
            request, f"Revoked token {token.prefix}…: SCIM calls with it now get 401."
        )
        return _redirect(tokens_url)
    context = admin.sso_context(
        request, org, tab="provisioning", title="Revoke SCIM token",
        crumbs=[("Provisioning", admin.sso_url("sso_provisioning", org)),
                ("Manage SCIM Tokens", tokens_url), ("Revoke", "")],
        token=token,
        tokens_url=tokens_url,
    )
    return admin.sso_render(request, "scim_token_revoke.html", context)


# --- group role mappings ---------------------------------------------------------------------


def group_role_mapping_add(
    admin: SsoAdmin, request: HttpRequest, org: Organization
) -> HttpResponse:
    tab_url = admin.sso_url("sso_provisioning", org)
    if request.method != "POST":
        return _redirect(tab_url, "group-role-mappings")
    form = GroupRoleMappingForm(request.POST)
    if form.is_valid():
        try:
            mapping = org_services.group_role_mapping_set(
                organization=org, idp_group_name=form.cleaned_data["idp_group_name"],
                role=form.cleaned_data["role"], actor=_actor(request),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                f"Members provisioned by SCIM who have not signed in yet get the role "
                f"{mapping.get_role_display()} when the IdP pushes the group "
                f"“{mapping.idp_group_name}” with them.",
            )
            return _redirect(tab_url, "group-role-mappings")
    return provisioning_tab(admin, request, org, mapping_form=form)


def group_role_mapping_delete(
    admin: SsoAdmin, request: HttpRequest, org: Organization, *, mapping_id: int
) -> HttpResponse:
    mapping = get_object_or_404(GroupRoleMapping, pk=mapping_id, organization=org)
    tab_url = admin.sso_url("sso_provisioning", org)
    if request.method == "POST":
        org_services.group_role_mapping_delete(mapping=mapping, actor=_actor(request))
        messages.success(request, f"Deleted the mapping for “{mapping.idp_group_name}”.")
        return _redirect(tab_url, "group-role-mappings")
    context = admin.sso_context(
        request, org, tab="provisioning", title="Delete group role mapping",
        crumbs=[("Provisioning", tab_url), ("Delete group role mapping", "")],
        mapping=mapping,
        tab_url=tab_url,
    )
    return admin.sso_render(request, "group_role_mapping_delete.html", context)

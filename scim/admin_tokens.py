"""Manage SCIM Tokens (the Provisioning tab's token pages): the list, Create, Rotate, Revoke.

Called by ``console.sso_page.OrganizationSsoPagesMixin`` once it has fetched the organization
and checked that the user administers it. Forms in, ``scim.services`` out, results back as admin
messages; every change is a CSRF-checked POST.

How a new token's plaintext stays shown-once (Create and Rotate alike): the POST's own response
renders it (no redirect carries it, no session or cache holds it) with
``Cache-Control: no-store``, so the browser keeps no copy for Back. A reload re-POSTs the same
form, but the form's signed one-time nonce was consumed by the first submission
(``consume_nonce``, in the shared cache), so the replay creates nothing and lands on the tokens
page with a warning — never the token. The plaintext is never logged, never in a URL, and the
services record only its prefix.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers

from orgs.audit import Actor
from orgs.exceptions import DomainError
from orgs.models import Organization
from scim import services as scim_services
from scim.admin_forms import (
    ScimTokenCreateForm,
    ScimTokenRotateForm,
    consume_nonce,
    issue_nonce,
)
from scim.models import ScimToken
from scim.schemas import base_url
from scim.services import CreatedToken

if TYPE_CHECKING:
    from orgs.admin_pages import OrganizationPageHost as SsoAdmin

SPENT_FORM = (
    "This form was already submitted, so no new token was made and the token is not shown "
    "again. If you did not copy it, revoke it and create a new one."
)


def _actor(request: HttpRequest) -> Actor:
    return Actor.for_user(request.user, request)


def _crumbs(admin: SsoAdmin, org: Organization, *last: str) -> list[tuple[str, str]]:
    return [("Provisioning", admin.sso_url("sso_provisioning", org)),
            ("Manage SCIM Tokens", admin.sso_url("scim_tokens", org)),
            *[(label, "") for label in last]]


def scim_tokens(
    admin: SsoAdmin,
    request: HttpRequest,
    org: Organization,
    *,
    form: ScimTokenCreateForm | None = None,
) -> HttpResponse:
    """Manage SCIM Tokens: every token (never its value) with its expiry, rotation and
    revocation, and the Create form."""
    tokens = ScimToken.objects.filter(organization=org).select_related(
        "created_by", "revoked_by", "replaced_by"
    )
    context = admin.sso_context(
        request, org, tab="provisioning", title="Manage SCIM Tokens",
        crumbs=_crumbs(admin, org)[:1] + [("Manage SCIM Tokens", "")],
        tokens=tokens.order_by("-created_at", "-id"),
        form=form or ScimTokenCreateForm(),
        create_url=admin.sso_url("scim_token_create", org),
        scim_enabled=org.scim_enabled,
        tab_url=admin.sso_url("sso_provisioning", org),
    )
    return admin.sso_render(request, "scim_tokens.html", context)


def _shown_once(
    admin: SsoAdmin, request: HttpRequest, org: Organization, created: CreatedToken,
    *, replaced: ScimToken | None = None,
) -> HttpResponse:
    """The one page that shows a new token's value."""
    context = admin.sso_context(
        request, org, tab="provisioning", title="New SCIM Token",
        crumbs=_crumbs(admin, org, "New SCIM Token"),
        token=created.token,
        plaintext=created.plaintext,
        replaced=replaced,
        scim_url=base_url(),
        scim_enabled=org.scim_enabled,
        tokens_url=admin.sso_url("scim_tokens", org),
    )
    response = admin.sso_render(request, "scim_token_created.html", context)
    add_never_cache_headers(response)  # no-store: Back must not bring the token back
    response["Referrer-Policy"] = "no-referrer"
    return response


def scim_token_create(admin: SsoAdmin, request: HttpRequest, org: Organization) -> HttpResponse:
    """Create a token and show it exactly once (see the module's docstring)."""
    tokens_url = admin.sso_url("scim_tokens", org)
    if request.method != "POST":
        return HttpResponseRedirect(tokens_url + "#create")  # the form; no message to hide
    form = ScimTokenCreateForm(request.POST)
    if not form.is_valid():
        return scim_tokens(admin, request, org, form=form)
    if not consume_nonce(form.cleaned_data["nonce"]):
        messages.warning(request, SPENT_FORM)
        return HttpResponseRedirect(tokens_url)
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
    return _shown_once(admin, request, org, created)


def _token(org: Organization, token_id: int) -> ScimToken:
    return get_object_or_404(
        ScimToken.objects.select_related("created_by", "revoked_by", "replaced_by"),
        pk=token_id, organization=org,
    )


def scim_token_rotate(
    admin: SsoAdmin, request: HttpRequest, org: Organization, *, token_id: int
) -> HttpResponse:
    """GET: what rotating does, and how long the old token keeps working. POST: rotate and
    show the new token once (the old one works until the chosen time, or until revoked)."""
    token = _token(org, token_id)
    tokens_url = admin.sso_url("scim_tokens", org)
    form = ScimTokenRotateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if not consume_nonce(form.cleaned_data["nonce"]):
            messages.warning(request, SPENT_FORM)
            return HttpResponseRedirect(tokens_url)
        try:
            created = scim_services.scim_token_rotate(
                token=token, actor=_actor(request), created_by=request.user,
                keep_old_for=timedelta(hours=form.cleaned_data["keep_old_hours"]),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(tokens_url)
        token.refresh_from_db()
        return _shown_once(admin, request, org, created, replaced=token)
    context = admin.sso_context(
        request, org, tab="provisioning", title="Rotate SCIM token",
        crumbs=_crumbs(admin, org, "Rotate"),
        token=token,
        form=form,
        tokens_url=tokens_url,
    )
    return admin.sso_render(request, "scim_token_rotate.html", context,
                            status=400 if form.is_bound else 200)


def scim_token_revoke(
    admin: SsoAdmin, request: HttpRequest, org: Organization, *, token_id: int
) -> HttpResponse:
    token = _token(org, token_id)
    tokens_url = admin.sso_url("scim_tokens", org)
    if request.method == "POST":
        if token.revoked_at is not None:
            messages.info(request, f"Token {token.prefix}… was already revoked.")
            return HttpResponseRedirect(tokens_url)
        scim_services.scim_token_revoke(
            token=token, actor=_actor(request), revoked_by=request.user
        )
        messages.success(
            request, f"Revoked token {token.prefix}…: SCIM calls with it now get 401."
        )
        return HttpResponseRedirect(tokens_url)
    context = admin.sso_context(
        request, org, tab="provisioning", title="Revoke SCIM token",
        crumbs=_crumbs(admin, org, "Revoke"),
        token=token,
        tokens_url=tokens_url,
    )
    return admin.sso_render(request, "scim_token_revoke.html", context)

"""The Provisioning tab's SCIM request log and rate limit: what the tab shows of them, the
request list (filters, paging), a request's page (masked bodies, the audit events it caused)
and the rate-limit form.

Called by ``console.sso_page.OrganizationSsoPagesMixin`` with the organization it fetched and
checked (``sso_organization``); every read is scoped to that organization, so another
organization's requests and the operators-only ones (no organization) answer 404 here. The
rate limit changes through ``scim.services.organization_set_scim_rate_limit``, which audits.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404

from orgs.audit import Actor
from orgs.exceptions import DomainError
from orgs.models import Organization
from scim import services
from scim.models import ScimRequest, ScimRequestResource
from scim.selectors import (
    METHODS,
    STATUS_CLASSES,
    RequestFilters,
    scim_request_audit_events,
    scim_request_list,
)

if TYPE_CHECKING:
    from orgs.admin_pages import OrganizationPageHost as SsoAdmin

RECENT_REQUESTS = 5  # on the tab
PAGE_SIZE = 50  # on the request list


class ScimRequestFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *[(c, c) for c in STATUS_CLASSES]])
    method = forms.ChoiceField(
        required=False, choices=[("", "Any method"), *[(m, m) for m in METHODS]])
    resource = forms.ChoiceField(
        required=False, choices=[("", "Any resource"), *ScimRequestResource.choices])
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000,
                              widget=forms.HiddenInput)


class ScimRateLimitForm(forms.Form):
    per_minute = forms.IntegerField(
        label="Requests per minute per token",
        min_value=services.MIN_RATE_LIMIT, max_value=services.MAX_RATE_LIMIT,
        help_text=(
            "Each SCIM token of this organization may make this many requests a minute; "
            "more are answered 429 with Retry-After. Microsoft Entra ID needs about 1,500 "
            "(25 a second), and a 429 can quarantine an Entra provisioning job, so lower it "
            "only to stop a runaway client."
        ),
    )


def request_log_context(admin: SsoAdmin, request: HttpRequest, org: Organization) -> dict:
    """What the Provisioning tab shows of the request log and the rate limit (one query)."""
    recent = list(scim_request_list(organization=org)[:RECENT_REQUESTS])
    return {
        "recent_requests": recent,
        "last_request": recent[0] if recent else None,
        "requests_url": admin.sso_url("scim_requests", org),
        "rate_limit_url": admin.sso_url("scim_rate_limit", org),
        "request_log_retention_days": settings.SCIM_REQUEST_LOG_RETENTION_DAYS,
    }


def scim_requests(admin: SsoAdmin, request: HttpRequest, org: Organization) -> HttpResponse:
    """All of the organization's logged requests, newest first, filtered and paged."""
    tab_url = admin.sso_url("sso_provisioning", org)
    form = ScimRequestFilterForm(request.GET)
    rows: list[ScimRequest] = []
    page = 1
    has_next = False
    if form.is_valid():
        page = form.cleaned_data["page"] or 1
        filters = RequestFilters(status=form.cleaned_data["status"],
                                 method=form.cleaned_data["method"],
                                 resource=form.cleaned_data["resource"])
        start = (page - 1) * PAGE_SIZE
        # One row more than a page says whether an older page exists, without a COUNT.
        rows = list(scim_request_list(organization=org, filters=filters)
                    [start:start + PAGE_SIZE + 1])
        has_next = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
    query = request.GET.copy()
    query.pop("page", None)
    context = admin.sso_context(
        request, org, tab="provisioning", title="SCIM requests",
        crumbs=[("Provisioning", tab_url), ("SCIM requests", "")],
        form=form,
        rows=rows,
        filtered=any(request.GET.get(name) for name in ("status", "method", "resource")),
        page=page,
        newer_url=_page_url(query, page - 1) if page > 1 else "",
        older_url=_page_url(query, page + 1) if has_next else "",
        request_log_retention_days=settings.SCIM_REQUEST_LOG_RETENTION_DAYS,
        tab_url=tab_url,
    )
    return admin.sso_render(request, "scim_requests.html", context)


def _page_url(query: Any, page: int) -> str:
    query = query.copy()
    if page > 1:
        query["page"] = str(page)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def scim_request_detail(
    admin: SsoAdmin, request: HttpRequest, org: Organization, *, request_pk: int
) -> HttpResponse:
    """One request: what was sent and answered (masked), why it failed, what it changed."""
    record = get_object_or_404(ScimRequest, pk=request_pk, organization=org)
    tab_url = admin.sso_url("sso_provisioning", org)
    requests_url = admin.sso_url("scim_requests", org)
    context = admin.sso_context(
        request, org, tab="provisioning", title=f"SCIM request {record.method} {record.path}",
        crumbs=[("Provisioning", tab_url), ("SCIM requests", requests_url),
                (f"{record.method} {record.status}", "")],
        record=record,
        request_body=_readable(record.request_body, record.request_truncated),
        response_body=_readable(record.response_body, record.response_truncated),
        hint=authorization_hint(record, org),
        events=list(scim_request_audit_events(record=record)),
        requests_url=requests_url,
        tokens_url=admin.sso_url("scim_tokens", org),
        rate_limit_url=admin.sso_url("scim_rate_limit", org),
    )
    return admin.sso_render(request, "scim_request_detail.html", context)


def scim_request_by_id(
    admin: SsoAdmin, request: HttpRequest, org: Organization, *, request_id: str
) -> HttpResponse:
    """The request log's page of a request id (SCIM activity links to it): its record, or 404
    when the log no longer has it (pruned after the retention)."""
    record = (
        ScimRequest.objects.filter(organization=org, request_id=request_id)
        .order_by("-created_at").only("pk").first()
    )
    if record is None:
        raise Http404("That SCIM request is no longer in the log.")
    return HttpResponseRedirect(admin.sso_url("scim_request", org, record.pk))


def _readable(body: str, truncated: bool) -> str:
    """A whole JSON body indented for reading; anything else as stored."""
    if not body or truncated:
        return body
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


def authorization_hint(record: ScimRequest, org: Organization) -> str:
    """What to change in the IdP when a request was refused for its credentials or rate."""
    if record.status == 429:
        return (f"The token made more than {org.scim_rate_limit_per_minute:,} requests in a "
                "minute, this organization's SCIM rate limit. The IdP retries after the "
                "Retry-After seconds; raise the limit if your IdP needs more.")
    if record.status != 401:
        return ""
    words = record.authorization.split()
    schemes = [w for w in words if w.lower() in ("bearer", "basic", "token", "digest")]
    if not words:
        return ("No Authorization header was sent. In Okta, set Authentication Mode to "
                "HTTP Header and paste the SCIM token into Authorization: Bearer.")
    if schemes and schemes[0].lower() != "bearer":
        return (f"The IdP sent a {schemes[0]} credential. Roster takes a bearer token: in "
                "Okta, set Authentication Mode to HTTP Header, not Basic Auth.")
    if len(schemes) > 1:
        return ("The Authorization header says “Bearer” twice. Okta adds the word itself: "
                "paste only the token (it starts with rst_scim_) into the Bearer field.")
    if not record.token_prefix:
        return ("The bearer value is not a Roster SCIM token (they start with rst_scim_). "
                "Paste the token shown when it was created.")
    return (f"Token {record.token_prefix}… is not an active token of this organization: it "
            "was revoked or has expired, or it was mistyped. Create a new token under Manage "
            "SCIM Tokens and paste it into your IdP.")


def scim_rate_limit(admin: SsoAdmin, request: HttpRequest, org: Organization) -> HttpResponse:
    """GET shows the form; POST sets the limit through the service (audited)."""
    tab_url = admin.sso_url("sso_provisioning", org)
    form = ScimRateLimitForm(initial={"per_minute": org.scim_rate_limit_per_minute})
    if request.method == "POST":
        form = ScimRateLimitForm(request.POST)
        if form.is_valid():
            try:
                services.organization_set_scim_rate_limit(
                    organization=org, per_minute=form.cleaned_data["per_minute"],
                    actor=Actor.for_user(request.user, request),
                )
            except DomainError as exc:
                form.add_error("per_minute", exc.message)
            else:
                messages.success(
                    request, f"Each SCIM token of {org.name} may now make "
                             f"{org.scim_rate_limit_per_minute:,} requests per minute.")
                return HttpResponseRedirect(f"{tab_url}#scim-requests")
    context = admin.sso_context(
        request, org, tab="provisioning", title="SCIM rate limit",
        crumbs=[("Provisioning", tab_url), ("SCIM rate limit", "")],
        form=form,
        tab_url=tab_url,
    )
    return admin.sso_render(request, "scim_rate_limit.html", context)

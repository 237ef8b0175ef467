"""The member's own pages: the account page and first-login account setup.

Setup happens in the browser: it makes the key pair with WebCrypto and wraps the private key
with a key derived from a passphrase that never leaves the page. The server receives only the
public key, the wrapped private key and the KDF parameters, checks their shapes, stores them
and accepts the member's invitations.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from orgs.audit import Actor
from orgs.exceptions import DomainError
from orgs.models import Membership, MembershipStatus, Organization, Role
from orgs.permissions import can_administer, session_org_scope
from sso import keys, services
from sso.selectors import account_setup_blocker
from sso.views import SESSION_ORG_KEY, landing_url


def _needs_setup(user: Any) -> bool:
    return user.setup_completed_at is None


@never_cache
@require_http_methods(["GET"])
def home(request: HttpRequest) -> HttpResponse:
    """The organizations this member can use. Invited (not yet set up) ones are not usable."""
    if not request.user.is_authenticated:
        return render(request, "account/signed_out.html")
    if _needs_setup(request.user):
        return HttpResponseRedirect(reverse("account:setup"))
    memberships = (
        Membership.objects.filter(
            user=request.user, is_active=True, status=MembershipStatus.ACCEPTED
        )
        .exclude(role=Role.NO_ACCESS)
        .select_related("organization")
        .order_by("organization__name")
    )
    scope = session_org_scope(request)
    if scope is not None:
        # Signed in by an organization's IdP: that IdP speaks for those organizations only,
        # so the others (even their names) wait for a sign-in through their own IdP.
        memberships = memberships.filter(organization_id__in=list(scope))
    rows = [
        {
            "membership": m,
            "admin_url": landing_url(organization=m.organization, is_admin=True, user=request.user)
            if m.role == Role.ADMIN and can_administer(request, m.organization) else "",
        }
        for m in memberships
    ]
    return render(request, "account/home.html", {"rows": rows, "scoped": scope is not None})


@never_cache
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """First-login account setup (GET: the page that makes the keys; POST: store them)."""
    if not request.user.is_authenticated:
        return HttpResponseRedirect(reverse("account:home"))
    if not _needs_setup(request.user):
        return HttpResponseRedirect(reverse("account:home"))
    home = account_setup_blocker(user=request.user, scope=session_org_scope(request))
    if home is not None:
        return render(
            request, "account/setup_elsewhere.html",
            {"home": home, "message": services.setup_elsewhere_message(home)}, status=403,
        )
    error = ""
    if request.method == "POST":
        try:
            services.account_setup_complete(
                user=request.user,
                public_key=request.POST.get("public_key", ""),
                encrypted_private_key=request.POST.get("encrypted_private_key", ""),
                key_derivation=request.POST.get("key_derivation", ""),
                actor=Actor.for_user(request.user, request),
                organization_ids=session_org_scope(request),
            )
        except DomainError as exc:
            error = exc.message
        else:
            return HttpResponseRedirect(_after_setup_url(request))
    invited = (
        Membership.objects.filter(
            user=request.user, is_active=True, status=MembershipStatus.INVITED
        )
        .select_related("organization")
        .order_by("organization__name")
    )
    scope = session_org_scope(request)
    if scope is not None:  # the invitations this setup will accept
        invited = invited.filter(organization_id__in=list(scope))
    return render(
        request,
        "account/setup.html",
        {
            "error": error,
            "invited": invited,
            "iterations": 600_000,
            "min_iterations": keys.KDF_MIN_ITERATIONS,
        },
        status=400 if error else 200,
    )


def _after_setup_url(request: HttpRequest) -> str:
    """Back to the organization the member signed in to: its admin for an org admin."""
    org_id = request.session.get(SESSION_ORG_KEY)
    membership = (
        Membership.objects.filter(user=request.user, organization_id=org_id, is_active=True)
        .select_related("organization")
        .first()
        if org_id else None
    )
    org: Organization | None = membership.organization if membership else None
    is_admin = bool(membership and membership.role == Role.ADMIN)
    return landing_url(organization=org, is_admin=is_admin, user=request.user)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return HttpResponseRedirect(reverse("account:home"))

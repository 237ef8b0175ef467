"""Confirming an account link after a SAML sign-in.

When an organization's IdP signs in a member whose email belongs to an account another
organization already uses, the person must prove they hold that account (they are signed in
to it) and say so on our own page: a CSRF-protected POST. The assertion alone, which a third
party could make a signed-in browser post cross-site, never links anything.
"""

from __future__ import annotations

import time

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from orgs.audit import Actor
from orgs.exceptions import DomainError
from orgs.models import Membership, Organization
from sso import services
from sso.selectors import saml_connection_usable
from sso.views import LINK_KEY, start_session


def _pending_link(request: HttpRequest, org: Organization) -> Membership | None:
    pending = request.session.get(LINK_KEY)
    if (
        not isinstance(pending, dict) or pending.get("org") != str(org.pk)
        or pending.get("until", 0) < time.time() or not request.user.is_authenticated
        or pending.get("account") != str(request.user.pk)
    ):
        return None
    return Membership.objects.filter(
        pk=pending.get("membership"), organization=org, user__isnull=True
    ).first()


@never_cache
@require_http_methods(["GET", "POST"])
def link_confirm(request: HttpRequest, slug: str) -> HttpResponse:
    org = get_object_or_404(Organization, slug=slug)
    membership = _pending_link(request, org)
    connection = saml_connection_usable(organization=org)
    if membership is None or connection is None:
        request.session.pop(LINK_KEY, None)
        return render(request, "sso/link_expired.html", {
            "organization": org, "login_url": reverse("sso:login", args=[org.slug]),
        }, status=410)
    if request.method == "GET":
        return render(request, "sso/link_confirm.html", {
            "organization": org, "membership": membership,
        })
    next_url = request.session.pop(LINK_KEY).get("next", "")
    if "cancel" in request.POST:
        return HttpResponseRedirect(reverse("account:home"))
    try:
        outcome = services.saml_link_confirm(
            connection=connection, membership=membership, user=request.user,
            actor=Actor.for_user(request.user, request),
        )
    except DomainError:
        return render(request, "sso/link_expired.html", {
            "organization": org, "login_url": reverse("sso:login", args=[org.slug]),
        }, status=409)
    return start_session(request, org, outcome, next_url=next_url)

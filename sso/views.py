"""SAML service provider endpoints: metadata, SP-initiated login and the ACS.

The ACS takes a cross-site POST from the IdP, so it is CSRF-exempt and cannot rely on the
session cookie (SameSite=Lax keeps it away). The outstanding AuthnRequest id is kept in the
shared cache under a one-time RelayState token instead, and accepted assertion ids are kept
there until they expire, so neither replay nor a forged InResponseTo depends on which worker
answers.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from typing import Any

from django.contrib.auth import login
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from orgs.audit import Actor
from orgs.models import Organization
from sso import saml, services
from sso.exceptions import LoginRefused
from sso.middleware import SSO_SCOPE_KEY
from sso.models import SamlConnection
from sso.selectors import saml_connection_for, saml_connection_usable

logger = logging.getLogger(__name__)

AUTH_BACKEND = "sso.backends.SsoEnforcingModelBackend"
PENDING_TTL = 10 * 60  # seconds an SP-initiated login may take at the IdP
REPLAY_FALLBACK_TTL = 24 * 60 * 60
CLOCK_DRIFT = 300  # python3-saml's allowed clock drift on NotOnOrAfter
SESSION_ORG_KEY = "sso_organization_id"
LINK_KEY = "sso_link_pending"  # an account link waiting for the signed-in person's confirmation
# Refusals a fresh login may cure; for the others a "try again" button would only frustrate.
RETRYABLE = {"invalid_response", "request_unknown", "replay", "wrong_organization"}


def _pending_key(token: str) -> str:
    return "sso:authn:" + hashlib.sha256(token.encode()).hexdigest()


def _assertion_key(org: Organization, assertion_id: str) -> str:
    """Per organization: another org's IdP (which its admin controls) cannot pre-spend ids."""
    return "sso:assertion:" + hashlib.sha256(f"{org.pk}|{assertion_id}".encode()).hexdigest()


def _pending_pop(token: str) -> dict[str, Any] | None:
    """The SP-initiated login this RelayState token stands for, usable once.

    Only the request whose ``cache.delete`` removed the entry gets it (the database and Redis
    caches report whether a delete removed anything), so two workers racing on one token
    cannot both use it; the assertion-id check below stops a replay on its own as well."""
    if not token or len(token) > 200:
        return None
    key = _pending_key(token)
    pending = cache.get(key)
    if pending is None or not cache.delete(key):
        return None
    return pending


def _active_connection(org: Organization) -> SamlConnection | None:
    return saml_connection_usable(organization=org)


def _refused_page(
    request: HttpRequest, org: Organization, error: LoginRefused, status: int = 403
) -> HttpResponse:
    return render(
        request,
        "sso/refused.html",
        {"organization": org, "message": error.message, "reason": error.reason,
         "can_retry": error.reason in RETRYABLE,
         "login_url": reverse("sso:login", args=[org.slug])},
        status=status,
    )


def landing_url(*, organization: Organization | None, is_admin: bool, user: Any) -> str:
    """Where a signed-in member goes: an org admin to that org in the admin, others to their
    account page."""
    if organization is not None and is_admin and user.is_staff:
        try:
            return reverse("admin:orgs_organization_change", args=[organization.pk])
        except NoReverseMatch:
            return reverse("admin:index")
    return reverse("account:home")


@require_GET
def metadata(request: HttpRequest, slug: str) -> HttpResponse:
    """Our SP metadata, to upload to the IdP instead of pasting the values one by one."""
    org = get_object_or_404(Organization, slug=slug)
    conn = saml_connection_for(organization=org) or SamlConnection(organization=org)
    conn.organization = org
    return HttpResponse(saml.sp_metadata(conn), content_type="application/samlmetadata+xml")


@never_cache
@require_GET
def login_start(request: HttpRequest, slug: str) -> HttpResponse:
    """SP-initiated login: redirect to the IdP with an AuthnRequest whose id we remember."""
    org = get_object_or_404(Organization, slug=slug)
    conn = _active_connection(org)
    if conn is None:
        reason = "connection_inactive"
        error = LoginRefused(reason, services.REFUSAL_MESSAGES[reason])
        return _refused_page(request, org, error, status=404)
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts=None):
        next_url = ""
    auth = saml.build_auth(request, conn, saml.login_url(org))
    token = secrets.token_urlsafe(32)
    redirect_to = auth.login(return_to=token)
    cache.set(
        _pending_key(token),
        {"org": str(org.pk), "request_id": auth.get_last_request_id(), "next": next_url},
        PENDING_TTL,
    )
    return HttpResponseRedirect(redirect_to)


def _email_from(auth: Any) -> str:
    """The member's email: the EmailAddress NameID, else the ``email`` attribute."""
    candidates = [auth.get_nameid() or ""]
    candidates += auth.get_attribute("email") or []
    for value in candidates:
        if not isinstance(value, str):
            continue
        value = value.strip()
        try:
            validate_email(value)
        except ValidationError:
            continue
        return value
    return ""


def _first(auth: Any, name: str) -> str:
    values = [v for v in auth.get_attribute(name) or [] if isinstance(v, str)]
    return values[0][:150] if values else ""


@csrf_exempt  # the IdP's cross-site POST carries no CSRF token; the signed response is the proof
@never_cache
@require_POST
def acs(request: HttpRequest, slug: str) -> HttpResponse:
    """Assertion Consumer Service for SP- and IdP-initiated logins."""
    org = get_object_or_404(Organization, slug=slug)
    actor = Actor.system("SAML ACS").with_request(request)

    def refuse(reason: str, email: str = "", detail: str = "", status: int = 403) -> HttpResponse:
        error = services.saml_login_refuse(
            organization=org, reason=reason, actor=actor, email=email, detail=detail
        )
        return _refused_page(request, org, error, status=status)

    conn = _active_connection(org)
    if conn is None:
        return refuse("connection_inactive")
    if not request.POST.get("SAMLResponse"):
        return refuse("invalid_response", detail="No SAMLResponse in the POST.", status=400)

    pending = _pending_pop(request.POST.get("RelayState", ""))
    if pending is not None and pending.get("org") != str(org.pk):
        return refuse("wrong_organization", detail="RelayState of another organization.")
    request_id = pending["request_id"] if pending else None

    auth = saml.build_auth(request, conn, saml.acs_url(org))
    try:
        auth.process_response(request_id=request_id)
    except Exception as exc:  # undecodable base64 or XML fails before validation starts
        return refuse("invalid_response", detail=f"Unreadable response ({type(exc).__name__}).")
    if auth.get_errors() or not auth.is_authenticated():
        reason = (
            "wrong_organization"
            if saml.addressed_to_another_organization(request.POST["SAMLResponse"], org)
            else "invalid_response"
        )
        return refuse(reason, detail=auth.get_last_error_reason() or "")

    in_response_to = auth.get_last_response_in_response_to()
    if pending is not None and in_response_to != request_id:
        return refuse("invalid_response", detail="InResponseTo does not match our request.")
    if pending is None and in_response_to:
        # Answers a request we no longer (or never) had: expired, reused or forged.
        return refuse("request_unknown", detail="InResponseTo of an unknown request.")

    not_on_or_after = auth.get_last_assertion_not_on_or_after()
    ttl = (
        int(not_on_or_after - time.time()) + CLOCK_DRIFT
        if not_on_or_after else REPLAY_FALLBACK_TTL
    )
    if not cache.add(_assertion_key(org, auth.get_last_assertion_id()), 1, timeout=max(ttl, 60)):
        return refuse("replay", detail="Assertion id already used.")

    name_id = auth.get_nameid() or ""
    email = _email_from(auth)
    if not email and not name_id:
        return refuse("invalid_response", detail="No NameID or email address in the assertion.")
    try:
        outcome = services.saml_login_complete(
            connection=conn, name_id=name_id.strip(), email=email, actor=actor,
            first_name=_first(auth, "firstName"), last_name=_first(auth, "lastName"),
            session_user=request.user if request.user.is_authenticated else None,
        )
    except LoginRefused as error:
        return _refused_page(request, org, error)

    if outcome.confirm_link_to is not None:
        # Signed in to an account another organization uses: link only once they confirm.
        request.session[LINK_KEY] = {
            "org": str(org.pk), "membership": str(outcome.membership.pk),
            "account": str(outcome.confirm_link_to.pk), "until": time.time() + PENDING_TTL,
            "next": (pending or {}).get("next", ""),
        }
        return HttpResponseRedirect(reverse("sso:link", args=[org.slug]))
    return start_session(request, org, outcome, next_url=(pending or {}).get("next", ""))


def start_session(
    request: HttpRequest, org: Organization, outcome: services.LoginOutcome, *, next_url: str
) -> HttpResponse:
    """Sign the person in after a verified SAML login and send them on."""
    user = outcome.membership.user
    # A session this person already proved with a password stays unscoped; otherwise the
    # session speaks only for the organizations whose IdP signed them in (sso.middleware).
    by_password = (
        request.user.is_authenticated and request.user.pk == user.pk
        and SSO_SCOPE_KEY not in request.session
    )
    login(request, user, backend=AUTH_BACKEND)  # a new session key (no fixation)
    request.session[SESSION_ORG_KEY] = str(org.pk)
    if not by_password:
        scope = set(request.session.get(SSO_SCOPE_KEY, [])) | {str(org.pk)}
        request.session[SSO_SCOPE_KEY] = sorted(scope)
    if outcome.needs_setup:
        return HttpResponseRedirect(reverse("account:setup"))
    if next_url:
        return HttpResponseRedirect(next_url)
    return HttpResponseRedirect(
        landing_url(organization=org, is_admin=outcome.is_admin, user=user)
    )

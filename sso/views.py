"""SAML service provider endpoints: metadata, SP-initiated login and the ACS.

The ACS takes a cross-site POST from the IdP, so it is CSRF-exempt and cannot rely on the
session cookie (SameSite=Lax keeps it away). The outstanding AuthnRequest is found through the
one-time RelayState token instead. Pending requests and accepted assertion ids are database rows
(``sso.services.state``), never cache entries, so neither replay nor a forged InResponseTo
depends on which worker answers or on what a cache kept.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any

from django.contrib.auth import login
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
from orgs.permissions import session_org_scope, session_org_scope_add
from orgs.text import text_problem
from sso import saml, services
from sso.assertions import AssertionRefused, assertion_check
from sso.exceptions import REFUSAL_MESSAGES, RETRYABLE, LoginRefused
from sso.models import SamlConnection, SamlPendingRequest
from sso.ratelimit import client_address, login_start_retry_after
from sso.selectors import saml_connection_for, saml_connection_usable
from sso.services import state

logger = logging.getLogger(__name__)

AUTH_BACKEND = "sso.backends.SsoEnforcingModelBackend"
SESSION_ORG_KEY = "sso_organization_id"
LINK_KEY = "sso_link_pending"  # an account link waiting for the signed-in person's confirmation
LINK_TTL = 10 * 60  # seconds the person has to confirm it
MAX_NEXT_URL = 2000  # SamlPendingRequest.next_url


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


def _next_url(request: HttpRequest) -> str:
    """Where to return after the login: a local path we can store, else nowhere special."""
    next_url = request.GET.get("next", "")
    if (
        len(next_url) > MAX_NEXT_URL or text_problem(next_url) is not None
        or not url_has_allowed_host_and_scheme(next_url, allowed_hosts=None)
    ):
        return ""
    return next_url


@never_cache
@require_GET
def login_start(request: HttpRequest, slug: str) -> HttpResponse:
    """SP-initiated login: redirect to the IdP with an AuthnRequest whose id we remember."""
    org = get_object_or_404(Organization, slug=slug)
    conn = _active_connection(org)
    if conn is None:
        reason = "connection_inactive"
        error = LoginRefused(reason, REFUSAL_MESSAGES[reason])
        return _refused_page(request, org, error, status=404)
    address = client_address(request)
    retry_after = login_start_retry_after(organization=org, address=address)
    if retry_after is not None:
        logger.warning("SAML login starts rate-limited for org %s from %s", org.slug, address)
        response = render(request, "sso/rate_limited.html", {"organization": org}, status=429)
        response["Retry-After"] = str(retry_after)
        return response
    auth = saml.build_auth(request, conn, saml.login_url(org))
    token = secrets.token_urlsafe(32)
    redirect_to = auth.login(return_to=token)
    state.saml_pending_request_create(
        organization=org, request_id=auth.get_last_request_id(), relay_state=token,
        next_url=_next_url(request),
    )
    return HttpResponseRedirect(redirect_to)


def _email_from(auth: Any) -> str:
    """The member's email as the IdP sent it: the NameID if it is an email address, else the
    first ``email`` attribute that is one, else the NameID (``saml_identity_clean`` judges)."""
    values = [auth.get_nameid(), *(auth.get_attribute("email") or [])]
    candidates = [v.strip() for v in values if isinstance(v, str) and v.strip()]
    for value in candidates:
        try:
            validate_email(value)
        except ValidationError:
            continue
        return value
    return candidates[0] if candidates else ""


def _first(auth: Any, name: str) -> str:
    values = [v for v in auth.get_attribute(name) or [] if isinstance(v, str)]
    return values[0] if values else ""


def _verified_identity(
    request: HttpRequest, org: Organization, conn: SamlConnection, actor: Actor
) -> tuple[services.SamlIdentity, SamlPendingRequest | None]:
    """The person a posted response proves, after every check and with its one-time state
    used up, or ``LoginRefused`` (audited). Order: the RelayState's pending request (found, not
    yet used), python3-saml's validation, our strict checks (``sso.assertions``), the identity's
    values; only then is the pending request consumed and the assertion id spent."""

    def refuse(reason: str, detail: str) -> LoginRefused:
        return services.saml_login_refuse(
            organization=org, reason=reason, actor=actor, detail=detail
        )

    relay_state = request.POST.get("RelayState", "")
    pending = state.saml_pending_request_find(relay_state=relay_state)
    if pending is not None and pending.organization_id != org.pk:
        raise refuse("wrong_organization", "RelayState of another organization.")
    request_id = pending.request_id if pending else None

    auth = saml.build_auth(request, conn, saml.acs_url(org))
    try:
        auth.process_response(request_id=request_id)
    except Exception as exc:  # undecodable base64 or XML fails before validation starts
        raise refuse("invalid_response", f"Unreadable response ({type(exc).__name__}).") from exc
    if auth.get_errors() or not auth.is_authenticated() or auth.validated_response is None:
        reason = (
            "wrong_organization"
            if saml.addressed_to_another_organization(request.POST["SAMLResponse"], org)
            else "invalid_response"
        )
        raise refuse(reason, auth.get_last_error_reason() or "")
    try:
        checked = assertion_check(
            auth.validated_response, sp_entity_id=saml.sp_entity_id(org),
            acs_url=saml.acs_url(org), request_id=request_id, relay_state_sent=bool(relay_state),
        )
    except AssertionRefused as exc:
        raise refuse(exc.reason, exc.detail) from exc
    identity = services.saml_identity_clean(
        organization=org, actor=actor, email=_email_from(auth), name_id=auth.get_nameid() or "",
        first_name=_first(auth, "firstName"), last_name=_first(auth, "lastName"),
    )
    if pending is not None and not state.saml_pending_request_consume(pending=pending):
        raise refuse("request_unknown", "The request was answered meanwhile.")
    if not state.saml_assertion_consume(
        organization=org, assertion_id=checked.assertion_id, expires_at=checked.expires_at
    ):
        raise refuse("replay", "Assertion id already used.")
    return identity, pending


@csrf_exempt  # the IdP's cross-site POST carries no CSRF token; the signed response is the proof
@never_cache
@require_POST
def acs(request: HttpRequest, slug: str) -> HttpResponse:
    """Assertion Consumer Service for SP- and IdP-initiated logins."""
    org = get_object_or_404(Organization, slug=slug)
    actor = Actor.system("SAML ACS").with_request(request)

    def refuse(reason: str, detail: str, status: int) -> HttpResponse:
        error = services.saml_login_refuse(
            organization=org, reason=reason, actor=actor, detail=detail
        )
        return _refused_page(request, org, error, status=status)

    conn = _active_connection(org)
    if conn is None:
        return refuse("connection_inactive", "", 403)
    if not request.POST.get("SAMLResponse"):
        return refuse("invalid_response", "No SAMLResponse in the POST.", 400)
    try:
        identity, pending = _verified_identity(request, org, conn, actor)
        outcome = services.saml_login_complete(
            connection=conn, identity=identity, actor=actor,
            session_user=request.user if request.user.is_authenticated else None,
        )
    except LoginRefused as error:
        return _refused_page(request, org, error)

    if outcome.confirm_link_to is not None:
        # Signed in to an account another organization uses: link only once they confirm.
        request.session[LINK_KEY] = {
            "org": str(org.pk), "membership": str(outcome.membership.pk),
            "account": str(outcome.confirm_link_to.pk), "until": time.time() + LINK_TTL,
            "next": pending.next_url if pending is not None else "",
        }
        return HttpResponseRedirect(reverse("sso:link", args=[org.slug]))
    return start_session(
        request, org, outcome, next_url=pending.next_url if pending is not None else ""
    )


def start_session(
    request: HttpRequest, org: Organization, outcome: services.LoginOutcome, *, next_url: str
) -> HttpResponse:
    """Sign the person in after a verified SAML login and send them on."""
    user = outcome.membership.user
    # A session this person already proved with a password stays unscoped; otherwise the
    # session speaks only for the organizations whose IdP signed them in (orgs.permissions).
    by_password = (
        request.user.is_authenticated and request.user.pk == user.pk
        and session_org_scope(request) is None
    )
    login(request, user, backend=AUTH_BACKEND)  # a new session key (no fixation)
    request.session[SESSION_ORG_KEY] = str(org.pk)
    if not by_password:
        session_org_scope_add(request, org.pk)
    if outcome.needs_setup:
        return HttpResponseRedirect(reverse("account:setup"))
    if next_url:
        return HttpResponseRedirect(next_url)
    return HttpResponseRedirect(
        landing_url(organization=org, is_admin=outcome.is_admin, user=user)
    )

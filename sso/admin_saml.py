"""The SSO page's SAML tab: what to paste into Okta, the IdP settings form, activation,
Enforce SAML SSO and a test login.

Called by ``console.sso_page.OrganizationSsoPagesMixin`` after it fetched the organization and
checked the user administers it. These views translate: forms in, services out, results back
as admin messages. Every change is a CSRF-checked POST to a service that writes its audit event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from orgs.audit import Actor
from orgs.exceptions import DomainError
from orgs.models import Organization
from orgs.plans import Feature
from sso import saml, services
from sso.admin_forms import SamlSettingsForm
from sso.exceptions import SamlSettingsInvalid
from sso.saml import ATTRIBUTE_STATEMENTS, CertificateError, certificate_check
from sso.selectors import saml_connection_for, sso_enforcement_ready

if TYPE_CHECKING:
    from orgs.admin_pages import OrganizationPageHost as SsoAdmin

ACTIONS = ("settings", "activate", "deactivate", "enforce", "unenforce")


def saml_tab(
    admin: SsoAdmin, request: HttpRequest, org: Organization,
    *, form: SamlSettingsForm | None = None, status: int = 200,
) -> HttpResponse:
    conn = saml_connection_for(organization=org)
    if form is None:
        initial = {}
        if conn is not None:
            initial = {"idp_sso_url": conn.idp_sso_url, "idp_entity_id": conn.idp_entity_id,
                       "idp_x509_cert": conn.idp_x509_cert}
        form = SamlSettingsForm(initial=initial)
    cert = None
    if conn is not None and conn.idp_x509_cert:
        try:
            cert = certificate_check(conn.idp_x509_cert)
        except CertificateError as exc:
            cert = {"error": str(exc)}
    tab_url = admin.sso_url("sso_saml", org)
    context = admin.sso_context(
        request, org, tab="saml", title="Single Sign-On (SSO)",
        connection=conn,
        certificate=cert,
        plan_has_saml=org.has_feature(Feature.SAML_SSO),
        sp_entity_id=saml.sp_entity_id(org),
        sp_acs_url=saml.acs_url(org),
        attribute_statements=ATTRIBUTE_STATEMENTS,
        form=form,
        enforce_ready=bool(conn and sso_enforcement_ready(conn)),
        test_login_url=reverse("sso:login", args=[org.slug]) + "?" + urlencode({"next": tab_url}),
        action_urls={a: admin.sso_url(f"saml_{a}", org) for a in ACTIONS},
    )
    return admin.sso_render(request, "sso_saml.html", context, status=status)


def saml_action(
    admin: SsoAdmin, request: HttpRequest, org: Organization, *, action: str
) -> HttpResponse:
    """POST only: save settings, (de)activate, or turn enforcement on or off."""
    actor = Actor.for_user(request.user, request)
    tab_url = admin.sso_url("sso_saml", org)
    if action == "settings":
        form = SamlSettingsForm(request.POST)
        if not form.is_valid():
            return saml_tab(admin, request, org, form=form, status=400)
        try:
            services.saml_connection_save(organization=org, actor=actor, **form.settings())
        except SamlSettingsInvalid as exc:
            for field, message in exc.errors.items():
                form.add_error(field if field in form.fields else None, message)
            return saml_tab(admin, request, org, form=form, status=400)
        except DomainError as exc:
            form.add_error(None, exc.message)
            return saml_tab(admin, request, org, form=form, status=400)
        messages.success(
            request, "SAML settings saved. Activate SAML SSO, then use Test login to check them."
        )
        return HttpResponseRedirect(tab_url + "#saml-settings")
    calls = {
        "activate": (services.saml_connection_activate, "SAML SSO is active."),
        "deactivate": (services.saml_connection_deactivate, "SAML SSO is deactivated."),
    }
    try:
        if action in calls:
            fn, done = calls[action]
            fn(organization=org, actor=actor)
        else:
            enforced = action == "enforce"
            services.organization_set_sso_enforced(
                organization=org, enforced=enforced, actor=actor
            )
            done = (
                "SAML SSO is enforced: members can no longer log in with a password."
                if enforced else "SAML SSO is no longer enforced."
            )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return HttpResponseRedirect(tab_url + "#saml-status")

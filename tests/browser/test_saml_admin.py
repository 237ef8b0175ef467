"""The "Configure Okta SAML" walkthrough in Chromium against the live server.

An org admin copies the values for Okta off the SAML tab, pastes the IdP's values back, activates
SAML SSO and presses Test login. Playwright plays Okta: it answers the redirect to the IdP with an
auto-submitting form carrying a response signed by the test IdP for the AuthnRequest it received
(InResponseTo included). Back on the tab, Enforce SAML SSO becomes available and is turned on;
then the admin's password no longer opens the admin. Screenshots go to artifacts/screenshots/
and, small, to docs/screenshots/ for the README.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from orgs.models import AuditEvent
from sso import saml
from sso.models import SamlConnection
from tests.browser.conftest import admin_login
from tests.factories import DEFAULT_PASSWORD, AdminMembershipFactory, OrganizationFactory
from tests.sso.idp import TestIdP, authn_request_from_redirect, encode

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def docs_screenshot(page, selector: str, name: str) -> None:
    """A small PNG for the README (docs/screenshots/), written only when
    ROSTER_DOCS_SCREENSHOTS is set so ordinary runs leave the committed files alone."""
    if not os.environ.get("ROSTER_DOCS_SCREENSHOTS"):
        return
    DOCS.mkdir(parents=True, exist_ok=True)
    page.locator(selector).screenshot(path=str(DOCS / f"{name}.png"))


def play_okta(page, idp: TestIdP, org, email: str) -> None:
    """Answer our AuthnRequest the way Okta does: a signed response POSTed to the ACS."""

    def answer(route) -> None:
        request_id, relay_state, _ = authn_request_from_redirect(route.request.url)
        xml = idp.response_xml(
            email=email, acs_url=saml.acs_url(org), audience=saml.sp_entity_id(org),
            in_response_to=request_id,
        )
        body = (
            f'<html><body onload="document.forms[0].submit()">'
            f'<form method="post" action="{html.escape(saml.acs_url(org))}">'
            f'<input type="hidden" name="SAMLResponse" value="{html.escape(encode(xml))}">'
            f'<input type="hidden" name="RelayState" value="{html.escape(relay_state)}">'
            f"</form></body></html>"
        )
        route.fulfill(status=200, content_type="text/html", body=body)

    page.route(idp.sso_url + "*", answer)


@pytest.mark.django_db(transaction=True)
def test_admin_configures_okta_saml_and_enforces_it(page, live_server, settings, screenshot):
    settings.BASE_URL = live_server.url
    idp = TestIdP()
    org = OrganizationFactory(name="Acme", slug="acme")
    admin = AdminMembershipFactory(organization=org, user__email="admin@okta.local").user
    admin.setup_completed_at = dt.datetime.now(dt.UTC)
    admin.save()

    admin_login(page, admin.email, DEFAULT_PASSWORD)
    page.goto(f"/admin/orgs/organization/{org.pk}/sso/saml/")
    assert page.text_content("#sp-acs-url").strip() == saml.acs_url(org)
    assert page.text_content("#sp-entity-id").strip() == saml.sp_entity_id(org)
    screenshot(page, "okta-values")
    docs_screenshot(page, "#saml-okta-values", "saml-okta-values")

    # A mistake first: the certificate field gets garbage.
    page.fill("#id_idp_sso_url", idp.sso_url)
    page.fill("#id_idp_entity_id", idp.entity_id)
    page.fill("#id_idp_x509_cert", "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----")
    page.click("#saml-save")
    assert "not a valid X.509 certificate" in page.text_content("#saml-settings")
    page.fill("#id_idp_x509_cert", idp.keys.cert_pem)
    page.click("#saml-save")
    assert "SAML settings saved" in page.text_content(".messagelist")
    docs_screenshot(page, "#saml-settings", "saml-idp-settings")

    page.click("#saml-activate")
    assert "Active" in page.text_content("#saml-state")
    assert page.get_attribute("#saml-enforce-toggle", "aria-disabled") == "true"
    screenshot(page, "activated")

    play_okta(page, idp, org, admin.email)
    page.click("#saml-test-login")
    page.wait_for_url(f"**/admin/orgs/organization/{org.pk}/sso/saml/")
    assert page.text_content("#saml-last-login").strip() != "never"
    assert SamlConnection.objects.get(organization=org).last_login_at is not None

    page.click("#saml-enforce-toggle")
    assert "SAML SSO is enforced" in page.text_content(".messagelist")
    assert page.get_attribute("#saml-enforce-toggle", "aria-checked") == "true"
    screenshot(page, "enforced")
    docs_screenshot(page, "#saml-status", "saml-activate-test-enforce")
    org.refresh_from_db()
    assert org.sso_enforced
    assert AuditEvent.objects.filter(organization=org, action="org.sso.enforced").exists()

    # The admin's password no longer works; SAML does.
    page.context.clear_cookies()
    page.goto("/admin/login/")
    page.fill("#id_username", admin.email)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator(".errornote")).to_be_visible()
    assert AuditEvent.objects.filter(
        organization=org, action="auth.password_login.refused"
    ).exists()
    screenshot(page, "password-refused")

"""Issue 14 in Chromium, the SAML side: an operator's Test login is refused with a way back
(point 1), deactivating SAML while SCIM is on is confirmed and stops SCIM (point 2), and an
admin told to set up their account first cannot skip it (point 5)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from orgs.audit import Actor
from orgs.models import AuditEvent, MembershipStatus, Role
from scim.services import scim_token_create
from sso import saml
from tests.browser.conftest import admin_login
from tests.browser.helpers import docs_shot, expect_message_in_view, scim_call, set_up_account
from tests.browser.test_account_setup import post_to_acs
from tests.browser.test_saml_admin import play_okta
from tests.factories import (
    DEFAULT_PASSWORD,
    AdminMembershipFactory,
    MembershipFactory,
    OrganizationFactory,
    SamlConnectionFactory,
    UserFactory,
)
from tests.sso.conftest import connect
from tests.sso.idp import TestIdP, encode

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def acme(live_server, settings):
    settings.BASE_URL = live_server.url
    return OrganizationFactory(name="Acme", slug="acme")


def test_point1_an_operator_cannot_test_login_and_is_led_back(page: Page, acme, screenshot):
    idp = TestIdP()
    connect(acme, idp)
    operator = UserFactory(email="admin@acme.example", is_staff=True, is_superuser=True,
                           password=DEFAULT_PASSWORD)
    MembershipFactory(organization=acme, user=operator, role=Role.ADMIN)
    admin_login(page, operator.email, DEFAULT_PASSWORD)
    page.goto(f"/admin/orgs/organization/{acme.pk}/sso/saml/")
    expect(page.locator("#saml-test-login-help")).to_contain_text(
        "Roster operators (superusers) can't test login"
    )
    expect(page.locator("#saml-test-login-operator")).to_contain_text(
        "You are signed in as an operator (admin@acme.example), so Test login will be refused."
    )
    docs_shot(screenshot, page, "saml-test-login-operator", "#saml-status")

    play_okta(page, idp, acme, operator.email)
    page.click("#saml-test-login")
    refusal = page.locator("#refusal")
    expect(refusal).to_contain_text("so an operator cannot use Test login")
    expect(refusal).to_have_attribute("data-reason", "operator")
    docs_shot(screenshot, page, "sso-refused-operator", "#error-page")
    page.get_by_role("link", name="Back to the SAML tab").click()
    page.wait_for_url(f"**/admin/orgs/organization/{acme.pk}/sso/saml/")
    expect(page.get_by_role("tab", name="SAML")).to_have_attribute("aria-selected", "true")
    event = AuditEvent.objects.get(organization=acme, action="sso.login.refused")
    assert event.data["reason"] == "operator"


def test_point2_deactivating_saml_while_scim_is_on_is_confirmed(
    page: Page, acme, live_server, screenshot
):
    acme.scim_enabled = True
    acme.save()
    SamlConnectionFactory(organization=acme)
    admin = AdminMembershipFactory(organization=acme).user
    token = scim_token_create(organization=acme, actor=Actor.system(),
                              description="Okta").plaintext
    users = f"{live_server.url}/scim/v2/Users"
    assert scim_call(users, token)[0] == 200

    admin_login(page, admin.email, DEFAULT_PASSWORD)
    page.goto(f"/admin/orgs/organization/{acme.pk}/sso/saml/")
    page.get_by_role("link", name="Deactivate SAML SSO").click()
    expect(page.locator("#saml-deactivate-scim")).to_contain_text(
        "SCIM provisioning is on for Acme: while SAML SSO is off, every SCIM call from your "
        "identity provider is refused (403)"
    )
    docs_shot(screenshot, page, "saml-deactivate-confirm", "#content-main")
    assert scim_call(users, token)[0] == 200  # asking changed nothing
    page.get_by_role("button", name="Yes, deactivate SAML SSO and stop SCIM").click()
    expect_message_in_view(page, "SAML SSO is deactivated. SCIM provisioning stays on")
    expect(page.locator("#saml-state")).to_have_text("Inactive")

    status, body = scim_call(users, token)
    assert status == 403
    assert body["detail"] == ("SAML SSO is not active for this organization: provisioned "
                              "members could not sign in.")
    page.get_by_role("tab", name="Provisioning").click()
    expect(page.locator("#scim-saml-inactive")).to_contain_text(
        "SCIM is on, but SAML SSO is not active"
    )
    screenshot(page, "provisioning-saml-inactive")


def test_point5_an_admin_cannot_skip_account_setup(page: Page, acme, screenshot):
    idp = TestIdP()
    connect(acme, idp)
    AdminMembershipFactory(organization=acme, status=MembershipStatus.INVITED,
                           user=UserFactory(email="ada@acme.example"))
    post_to_acs(page, saml.acs_url(acme), encode(idp.response_xml(
        email="ada@acme.example", acs_url=saml.acs_url(acme),
        audience=saml.sp_entity_id(acme), first_name="Ada", last_name="Lovelace",
    )))
    page.wait_for_url("**/account/setup/")
    expect(page.locator("main")).to_contain_text("Before you can use Acme, create your "
                                                 "encryption key")
    # Skipping it: the admin sends Ada back, whichever admin page she opens.
    for path in (f"/admin/orgs/organization/{acme.pk}/change/", "/admin/",
                 f"/admin/orgs/organization/{acme.pk}/sso/provisioning/"):
        page.goto(path)
        page.wait_for_url("**/account/setup/")
    screenshot(page, "setup-gate")
    set_up_account(page)
    page.wait_for_url(f"**/admin/orgs/organization/{acme.pk}/change/")
    expect(page.locator("#sso-page-link")).to_be_visible()
    assert AuditEvent.objects.filter(organization=acme, action="membership.accepted").exists()

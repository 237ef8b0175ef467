"""The README, walked in Chromium from `make run`'s credentials: the demo org admin logs in,
sets up their account, configures and tests SAML SSO with Okta's values, enables SCIM, creates
a token, Okta provisions a person over HTTP, the overview and the activity show it, the token
is rotated and the old one revoked. Playwright plays Okta's SAML side (tests/sso/idp.py signs
for real); Okta's SCIM calls go to the live server over HTTP."""

from __future__ import annotations

import io
import re
from urllib.parse import quote

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from orgs.models import Membership, MembershipSource, Organization
from sso import saml
from sso.models import SamlConnection
from tests.browser.helpers import (
    OKTA_USER,
    docs_shot,
    expect_message_in_view,
    scim_call,
    set_up_account,
)
from tests.browser.test_saml_admin import play_okta
from tests.sso.idp import TestIdP

pytestmark = pytest.mark.django_db(transaction=True)


def logins(out: str) -> list[tuple[str, str]]:
    """The (email, password) pairs `make run` printed, in order: operator, org admin."""
    return re.findall(r"email:\s+(\S+)\n\s+password:\s+(\S+)", out)


def test_the_readme_from_make_run_to_a_rotated_token(
    page: Page, live_server, settings, monkeypatch, screenshot
):
    settings.BASE_URL = live_server.url
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "demo-password-4-walk")
    out = io.StringIO()
    call_command("seed_demo", stdout=out)  # what `make run` does before serving
    (operator, _), (email, password) = logins(out.getvalue())
    assert (operator, email) == ("admin@acme.example", "ada@acme.example")
    acme = Organization.objects.get(slug="acme")

    # Log in as the org admin `make run` printed; first, account setup (the encryption key).
    page.goto("/admin/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    set_up_account(page)
    page.get_by_role("link", name="Administer").click()
    page.wait_for_url(f"**/admin/orgs/organization/{acme.pk}/change/")

    # Configure Okta SAML: the values for Okta, then Okta's values back; activate; Test login.
    page.get_by_role("link", name="SSO", exact=True).click()
    assert page.text_content("#sp-acs-url").strip() == saml.acs_url(acme)
    idp = TestIdP()
    page.fill("#id_idp_sso_url", idp.sso_url)
    page.fill("#id_idp_entity_id", idp.entity_id)
    page.fill("#id_idp_x509_cert", idp.keys.cert_pem)
    page.click("#saml-save")
    expect_message_in_view(page, "SAML settings saved")
    page.click("#saml-activate")
    expect_message_in_view(page, "SAML SSO is active.")
    expect(page.locator("#saml-test-login-operator")).to_have_count(0)
    play_okta(page, idp, acme, email)
    page.click("#saml-test-login")
    page.wait_for_url(f"**/admin/orgs/organization/{acme.pk}/sso/saml/")
    expect(page.locator("#saml-last-login")).to_have_text(re.compile(r"\d{4}-\d\d-\d\d .* UTC"))
    assert SamlConnection.objects.get(organization=acme).last_login_at is not None
    screenshot(page, "saml-tested")

    # Connect Okta, step 1: enable SCIM provisioning and create a token.
    page.get_by_role("tab", name="Provisioning").click()
    page.get_by_role("switch", name="Enable SCIM provisioning").click()
    page.get_by_role("button", name="Yes, enable SCIM provisioning").click()
    expect_message_in_view(page, "Next: create a SCIM token for Okta")
    page.get_by_role("link", name="Manage SCIM Tokens").click()
    page.get_by_label("Description").fill("Okta")
    page.get_by_role("button", name="Create", exact=True).click()
    scim_url = page.locator("#scim-url").inner_text()
    first_token = page.locator("#new-scim-token").inner_text()
    assert scim_url == f"{live_server.url}/scim/v2"

    # What Okta does: Test Connector Configuration, then Create Users (look up, then POST).
    assert scim_call(f"{scim_url}/Users?startIndex=1&count=2", first_token)[0] == 200
    lookup = quote('userName eq "test.user@okta.local"')
    status, found = scim_call(f"{scim_url}/Users?filter={lookup}&startIndex=1&count=100",
                              first_token)
    assert (status, found["totalResults"]) == (200, 0)
    status, created = scim_call(f"{scim_url}/Users", first_token, OKTA_USER)
    assert status == 201, created
    member = Membership.objects.get(pk=created["id"])
    assert (member.source, member.status) == (MembershipSource.SCIM, "invited")

    # The overview and the activity show it.
    page.get_by_role("link", name="I have copied it — back to Manage SCIM Tokens").click()
    page.get_by_role("tab", name="Provisioning").click()
    expect(page.locator("#member-counts-scim td")).to_have_text(["1", "0", "0", "1"])
    # The request log counts every call: Test Connector, the lookup and the create.
    expect(page.locator("#scim-chart-7 figcaption")).to_contain_text("3 requests, 0 errors")
    expect(page.locator("#last-push")).to_contain_text("by SCIM token rst_scim_")
    docs_shot(screenshot, page, "provisioning-overview", "#provisioning-overview")
    page.get_by_role("link", name="All SCIM activity, with filters").click()
    row = page.locator("#scim-activity tbody tr").first
    expect(row).to_contain_text("Member provisioned")
    expect(row).to_contain_text("test.user@okta.local in Acme")
    expect(row).to_contain_text("Email: test.user@okta.local")
    docs_shot(screenshot, page, "scim-activity", "#scim-activity")

    # Rotate the token: the new one is shown once, both work until the old one is revoked.
    page.get_by_role("tab", name="Provisioning").click()
    page.get_by_role("link", name="Manage SCIM Tokens").click()
    page.locator("#scim-token-list tbody tr").first.get_by_role("link", name="Rotate").click()
    page.get_by_role("button", name="Rotate token").click()
    new_token = page.locator("#new-scim-token").inner_text()
    page.add_style_tag(content="#new-scim-token { filter: blur(5px); }")
    docs_shot(screenshot, page, "scim-token-rotated", "#scim-token-created")
    assert scim_call(f"{scim_url}/Users", first_token)[0] == 200
    assert scim_call(f"{scim_url}/Users", new_token)[0] == 200
    page.get_by_role("link", name="I have copied it — back to Manage SCIM Tokens").click()
    old_row = page.locator("#scim-token-list tbody tr", has_text="replaced by")
    expect(old_row).to_contain_text("rotated: works until then")
    old_row = page.locator("#" + old_row.get_attribute("id"))  # the same row once revoked
    docs_shot(screenshot, page, "scim-tokens-rotated", "#scim-token-list")
    old_row.get_by_role("link", name="Revoke").click()
    page.get_by_role("button", name="Yes, revoke this token").click()
    expect_message_in_view(page, "Revoked token")
    expect(old_row).to_contain_text(f"by {email}")
    assert scim_call(f"{scim_url}/Users", first_token)[0] == 401
    assert scim_call(f"{scim_url}/Users", new_token)[0] == 200

"""The product page's SCIM walkthrough, clicked in a real Chromium against the live server.

An org admin logs in through the admin's login form, opens the organization's SSO page, selects
the Provisioning tab, enables SCIM, presses Manage SCIM Tokens and Create, reads the SCIM URL
and the New SCIM Token off the page and calls the real SCIM API with them. Every screen is
saved to artifacts/screenshots/ (the README's screenshots come from here).
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from orgs.models import AuditEvent, Membership, Role
from scim.models import ScimToken
from tests.browser.conftest import admin_login
from tests.factories import (
    DEFAULT_PASSWORD,
    AdminMembershipFactory,
    OrganizationFactory,
    SamlConnectionFactory,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Screens the README's "Connect Okta" section shows: artifact name → docs/screenshots name.
DOCS_SCREENS = {
    "provisioning-tab": "sso-provisioning-tab",
    "scim-enable-confirm": "scim-enable-confirm",
    "scim-enabled": "scim-enabled",
    "scim-manage-tokens": "scim-manage-tokens",
    "scim-new-token-blurred": "scim-new-token",
}  # docs/screenshots/scim-activity.png comes from test_readme_walk


def shot(screenshot, page, name: str) -> None:
    """Save the screen as a test artifact and, when ROSTER_DOCS_SCREENSHOTS is set, as the
    README's copy of it (ordinary runs leave the committed files alone)."""
    path = screenshot(page, name)
    if name in DOCS_SCREENS and os.environ.get("ROSTER_DOCS_SCREENSHOTS"):
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS / f"{DOCS_SCREENS[name]}.png")


# Straight to the live server, whatever proxy the environment configures.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# What Okta sends first when it provisions a person (Okta-shaped, as in tests/scim).
OKTA_USER = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "test.user@okta.local",
    "name": {"givenName": "Test", "familyName": "User"},
    "emails": [{"primary": True, "value": "test.user@okta.local", "type": "work"}],
    "displayName": "Test User",
    "externalId": "00ujl29u0le5T6Aj10h7",
    "active": True,
}


def scim_call(url: str, token: str, body: dict | None = None) -> tuple[int, dict]:
    """GET (or POST ``body`` to) a SCIM URL with a bearer token: (status, JSON body)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/scim+json",
                 "Content-Type": "application/scim+json"},
    )
    try:
        with _opener.open(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.fixture
def acme(db):
    """Enterprise org with an active SAML connection and SCIM still off, and its admin."""
    org = OrganizationFactory(name="Acme", slug="acme", scim_enabled=False)
    SamlConnectionFactory(organization=org)
    return org, AdminMembershipFactory(organization=org).user


def create_token(page: Page, description: str) -> tuple[str, str]:
    """On Manage SCIM Tokens: fill in and press Create; returns (SCIM URL, token) as shown."""
    page.get_by_label("Description").fill(description)
    page.get_by_role("button", name="Create", exact=True).click()
    heading = page.get_by_role("heading", name="Copy the SCIM URL and the New SCIM Token")
    expect(heading).to_be_visible()
    return page.locator("#scim-url").inner_text(), page.locator("#new-scim-token").inner_text()


def test_org_admin_connects_okta_on_the_sso_page(page: Page, live_server, settings, acme,
                                                  screenshot):
    settings.BASE_URL = live_server.url  # the SCIM URL shown must point at this server
    org, admin = acme
    admin_login(page, admin.email, DEFAULT_PASSWORD)

    # The organization's page → SSO → Provisioning tab.
    page.goto(f"/admin/orgs/organization/{org.pk}/change/")
    page.get_by_role("link", name="SSO", exact=True).click()
    expect(page.get_by_role("tab", name="SAML")).to_have_attribute("aria-selected", "true")
    screenshot(page, "sso-saml-tab")
    page.get_by_role("tab", name="Provisioning").click()
    toggle = page.get_by_role("switch", name="Enable SCIM provisioning")
    expect(toggle).to_have_attribute("aria-checked", "false")
    shot(screenshot, page, "provisioning-tab")

    # Enable SCIM provisioning: confirm, then the tab says so.
    toggle.click()
    shot(screenshot, page, "scim-enable-confirm")
    page.get_by_role("button", name="Yes, enable SCIM provisioning").click()
    expect(page.locator(".messagelist")).to_contain_text("SCIM provisioning is enabled for Acme")
    expect(toggle).to_have_attribute("aria-checked", "true")
    shot(screenshot, page, "scim-enabled")

    # Group role mappings: members Okta pushes in "Roster Admins" before their first login
    # become admins.
    page.get_by_label("IdP group name:").fill("Roster Admins")
    page.get_by_label("Role:").select_option("admin")
    page.get_by_role("button", name="Add mapping").click()
    expect(page.locator(".messagelist")).to_contain_text("get the role Admin")
    expect(page.locator("#group-role-mappings tbody tr")).to_contain_text("Roster Admins")

    # Manage SCIM Tokens → Create → the SCIM URL and the New SCIM Token, with copy buttons.
    page.get_by_role("link", name="Manage SCIM Tokens").click()
    expect(page.get_by_label("Expires after (days)")).to_have_value("365")
    page.get_by_label("Description").fill("Okta")
    shot(screenshot, page, "scim-manage-tokens")
    scim_url, token = create_token(page, "Okta")
    expect(page.get_by_text("it is shown only once")).to_be_visible()
    screenshot(page, "scim-new-token")
    # The README's copy of this screen must not show even a throwaway token in clear.
    page.add_style_tag(content="#new-scim-token { filter: blur(5px); }")
    shot(screenshot, page, "scim-new-token-blurred")
    assert scim_url == f"{live_server.url}/scim/v2"
    assert token.startswith("rst_scim_")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.locator('button[data-copy="new-scim-token"]').click()
    expect(page.locator('button[data-copy="new-scim-token"]')).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == token
    page.locator('button[data-copy="scim-url"]').click()
    expect(page.locator('button[data-copy="scim-url"]')).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == scim_url

    # What Okta's "Test Connector Configuration" does: the token works against the live API.
    status, body = scim_call(f"{scim_url}/Users", token)
    assert status == 200, body
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    status, body = scim_call(f"{scim_url}/Users", token, OKTA_USER)  # Okta pushes a person
    assert status == 201, body
    member_id = body["id"]
    assert Membership.objects.get(pk=member_id).role == Role.MEMBER
    status, body = scim_call(f"{scim_url}/Groups", token, {  # ... then Push Groups
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Roster Admins", "members": [{"value": member_id}],
    })
    assert status == 201, body
    assert Membership.objects.get(pk=member_id).role == Role.ADMIN  # the mapped role

    # A reload re-sends the create POST: nothing new is made and the token is not shown.
    page.reload()
    expect(page.get_by_role("heading", name="SCIM tokens", exact=True)).to_be_visible()
    assert token not in page.content()
    expect(page.locator(".messagelist")).to_contain_text("already submitted")
    screenshot(page, "scim-after-reload")
    assert ScimToken.objects.filter(organization=org).count() == 1
    page.goto(f"/admin/orgs/organization/{org.pk}/sso/provisioning/tokens/")
    assert token not in page.content()
    assert token not in json.dumps(list(AuditEvent.objects.values()), default=str)

    # Revoke, with confirmation: the API answers 401 at once.
    row = page.locator("#scim-token-list tbody tr", has_text="Okta")
    expect(row).to_contain_text("active")
    row.get_by_role("link", name="Revoke").click()
    screenshot(page, "scim-revoke-confirm")
    page.get_by_role("button", name="Yes, revoke this token").click()
    expect(page.locator(".messagelist")).to_contain_text("Revoked token")
    expect(page.locator("#scim-token-list tbody tr", has_text="Okta")).to_contain_text("revoked")
    screenshot(page, "scim-token-revoked")
    status, body = scim_call(f"{scim_url}/Users", token)
    assert status == 401, body

    # A fresh token works; after SCIM is disabled on the tab the same token gets 403.
    _, fresh = create_token(page, "Okta (new)")
    assert scim_call(f"{scim_url}/Users", fresh)[0] == 200
    page.get_by_role("link", name="I have copied it — back to Manage SCIM Tokens").click()
    # Back does not bring the token page back: it was no-store, so Chromium will not show the
    # POST's result from its cache (it would have to re-POST, which shows no token).
    with pytest.raises(PlaywrightError, match="ERR_CACHE_MISS"):
        page.go_back()
    expect(page.locator("body")).to_contain_text("Confirm Form Resubmission")
    assert fresh not in page.content()
    screenshot(page, "scim-after-back")
    page.reload()  # "press the reload button to resubmit": the spent form creates nothing
    expect(page.locator(".messagelist")).to_contain_text("already submitted")
    assert fresh not in page.content()
    assert ScimToken.objects.filter(organization=org).count() == 2
    page.get_by_role("tab", name="Provisioning").click()
    page.get_by_role("switch", name="Enable SCIM provisioning").click()
    screenshot(page, "scim-disable-confirm")
    page.get_by_role("button", name="Yes, disable SCIM provisioning").click()
    expect(page.locator(".messagelist")).to_contain_text("SCIM provisioning is disabled")
    expect(page.get_by_role("switch", name="Enable SCIM provisioning")).to_have_attribute(
        "aria-checked", "false"
    )
    screenshot(page, "scim-disabled")
    status, body = scim_call(f"{scim_url}/Users", fresh)
    assert status == 403, body

    # SCIM activity: the latest requests on the tab in words, all of them on their own page,
    # newest first, filterable by action.
    labels = page.locator("#scim-activity tbody td.activity-label strong").all_inner_texts()
    assert labels[:3] == ["SCIM provisioning disabled", "SCIM token created",
                          "SCIM token revoked"]
    page.get_by_role("link", name="All SCIM activity, with filters").click()
    rows = page.locator("#scim-activity tbody tr")
    actions = [a for row in rows.all() for a in row.get_attribute("data-actions").split()]
    assert actions[-2:] == ["scim.token.created", "org.scim.enabled"]
    assert "scim.user.created" in actions
    assert "scim.user.role_changed" in actions
    page.get_by_label("Action:").select_option("scim.user.created")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Member provisioned")
    expect(rows).to_contain_text("test.user@okta.local")
    expect(rows).to_contain_text("SCIM token rst_scim_")
    shot(screenshot, page, "scim-activity")
    assert fresh not in page.content()


def test_admin_of_another_org_cannot_open_the_sso_page(page: Page, acme, screenshot):
    org, _ = acme
    other = OrganizationFactory(name="Globex", slug="globex")
    other_admin = AdminMembershipFactory(organization=other).user
    admin_login(page, other_admin.email, DEFAULT_PASSWORD)

    for path in ("sso/", "sso/provisioning/", "sso/provisioning/tokens/"):
        response = page.goto(f"/admin/orgs/organization/{org.pk}/{path}")
        assert response is not None and response.status == 403
        assert "Acme" not in page.content()
    screenshot(page, "other-org-forbidden")

    response = page.goto(f"/admin/orgs/organization/{other.pk}/sso/provisioning/")
    assert response is not None and response.status == 200
    expect(page.get_by_role("switch", name="Enable SCIM provisioning")).to_be_visible()

"""The management API as a person meets it, in a real Chromium against the live server: the
admin's API keys page (create, see the key once, revoke) and the API's documentation page,
which must load everything from Roster itself (no CDN, no badge from elsewhere)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from api.models import ApiKey
from tests.browser.conftest import admin_login
from tests.factories import (
    DEFAULT_PASSWORD,
    AdminMembershipFactory,
    OrganizationFactory,
    SamlConnectionFactory,
)

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def api_call(url: str, key: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    try:
        with _opener.open(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.fixture
def acme(db):
    org = OrganizationFactory(name="Acme", slug="acme", scim_enabled=True)
    SamlConnectionFactory(organization=org)
    return org, AdminMembershipFactory(organization=org).user


def test_an_admin_creates_uses_and_revokes_an_api_key(page: Page, live_server, acme, screenshot):
    org, admin = acme
    admin_login(page, admin.email, DEFAULT_PASSWORD)
    page.get_by_role("link", name="API keys").click()
    page.get_by_role("link", name="Add API key").click()
    page.get_by_label("Description").fill("deploy pipeline")
    page.get_by_label("Organization").select_option(label="Acme")
    screenshot(page, "api-key-create")
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.get_by_text("it is shown only once")).to_be_visible()
    key = page.locator("#new-api-key").inner_text()
    screenshot(page, "api-key-created")

    base = f"{live_server.url}/api/v1/organizations/acme"
    status, body = api_call(f"{base}/scim-tokens/", key, {"description": "Okta"})
    assert status == 201 and body["token"].startswith("rst_scim_")

    page.get_by_role("link", name="I have copied it").click()
    expect(page.locator("#result_list")).to_contain_text("deploy pipeline")
    page.get_by_role("link", name="Revoke").click()
    page.get_by_role("button", name="Yes, revoke this key").click()
    expect(page.locator(".messagelist")).to_contain_text("calls with it now get 401")
    assert ApiKey.objects.get().status == "revoked"
    assert api_call(f"{base}/", key)[0] == 401


def test_the_docs_page_renders_from_roster_alone(page: Page, live_server, db, screenshot):
    elsewhere: list[str] = []
    page.on("request", lambda request: None if request.url.startswith(
        (live_server.url, "data:", "blob:")) else elsewhere.append(request.url))
    page.goto("/api/v1/docs/")
    expect(page.get_by_text("Roster management API")).to_be_visible()
    expect(page.get_by_text("Change an organization's settings")).to_be_visible()
    page.wait_for_load_state("networkidle")
    screenshot(page, "api-docs")
    assert elsewhere == []

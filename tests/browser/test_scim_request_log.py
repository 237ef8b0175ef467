"""The SCIM request log as an org admin uses it, in a real Chromium against the live server:
nothing arrived yet (what to do in Okta), then Okta's calls (a ``Bearer Bearer …`` paste, a
success, a conflict) on the Provisioning tab, filtered, and a refused request's page saying
what to fix; then the rate limit changed on the tab."""

from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from orgs.audit import Actor
from orgs.models import AuditEvent
from scim.services import scim_token_create
from tests.browser.conftest import admin_login
from tests.browser.test_sso_provisioning import DOCS
from tests.factories import (
    DEFAULT_PASSWORD,
    AdminMembershipFactory,
    OrganizationFactory,
    SamlConnectionFactory,
)
from tests.scim.test_okta_aiw import OKTA_USER  # with the password Okta always sends

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def okta(url: str, authorization: str, body: dict | None = None) -> int:
    """One request as Okta sends it; its status."""
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": authorization,
                                              "Accept": "application/scim+json",
                                              "Content-Type": "application/scim+json",
                                              "User-Agent": "Okta SCIM Client 1.0.0"})
    try:
        with _opener.open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def acme(db):
    org = OrganizationFactory(name="Acme", slug="acme", scim_enabled=True)
    SamlConnectionFactory(organization=org)
    token = scim_token_create(organization=org, actor=Actor.system(), description="Okta")
    return org, AdminMembershipFactory(organization=org).user, token.plaintext


def test_an_admin_finds_why_okta_failed(page: Page, live_server, settings, acme, screenshot):
    settings.BASE_URL = live_server.url
    org, admin, token = acme
    admin_login(page, admin.email, DEFAULT_PASSWORD)
    page.goto(f"/admin/orgs/organization/{org.pk}/sso/provisioning/")
    empty = page.locator("#scim-requests-empty")
    expect(empty).to_contain_text("No SCIM request has arrived from your identity provider yet")
    expect(empty).to_contain_text(f"{live_server.url}/scim/v2")
    screenshot(page, "request-log-empty")

    users = f"{live_server.url}/scim/v2/Users"
    assert okta(users + "?startIndex=1&count=2", f"Bearer Bearer {token}") == 401
    assert okta(users + "?startIndex=1&count=2", f"Bearer {token}") == 200
    assert okta(users, f"Bearer {token}", OKTA_USER) == 201
    assert okta(users, f"Bearer {token}", OKTA_USER) == 409

    page.reload()
    expect(page.locator("#scim-last-request")).to_contain_text("Last request from your IdP")
    expect(page.locator("#scim-last-request")).to_contain_text("409")
    expect(page.locator("#scim-recent-requests tbody tr")).to_have_count(4)
    page.get_by_role("link", name="All SCIM requests").click()
    page.get_by_label("Status:").select_option("4xx")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("#scim-request-list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("409")
    expect(rows.nth(1)).to_contain_text("401")
    screenshot(page, "request-log-list")

    rows.nth(1).get_by_role("link").click()
    expect(page.locator("#scim-request-hint")).to_contain_text(
        "The Authorization header says “Bearer” twice.")
    expect(page.locator("#scim-request-authorization")).to_have_text(
        f"Bearer Bearer {token[:15]}…")
    path = screenshot(page, "request-log-detail")
    if os.environ.get("ROSTER_DOCS_SCREENSHOTS"):
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS / "scim-request-detail.png")
    assert token not in page.content() and token[15:] not in page.content()

    page.get_by_role("link", name="Back to SCIM requests").click()
    page.get_by_label("Status:").select_option("2xx")
    page.get_by_label("Method:").select_option("POST")
    page.get_by_role("button", name="Filter").click()
    page.locator("#scim-request-list tbody tr").first.get_by_role("link").click()
    expect(page.locator("#scim-request-body")).to_contain_text('"password": "[masked]"')
    expect(page.locator("#scim-request-events")).to_contain_text("scim.user.created")

    page.get_by_role("link", name="Provisioning").first.click()
    page.locator("#change-scim-rate-limit").click()
    page.get_by_label("Requests per minute per token").fill("10")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".errorlist")).to_contain_text("greater than or equal to 60")
    page.get_by_label("Requests per minute per token").fill("1500")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messagelist")).to_contain_text("may now make 1,500 requests per minute")
    expect(page.locator("#scim-rate-limit")).to_contain_text("1500 requests per minute")
    assert AuditEvent.objects.filter(action="org.scim.rate_limit_changed").count() == 1

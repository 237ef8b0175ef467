"""Issue 14 in Chromium, the Provisioning tab: the overview, SCIM activity in words (point 3),
group role mappings replaced only when confirmed (point 4), confirmations in view after the
redirect (point 6), token descriptions (point 7), token rotation, and the small things
(point 9: one date format with its zone, who revoked a token, a Copy button for the SCIM URL).
Okta is played over real HTTP against the live server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from orgs.audit import Actor
from orgs.models import GroupRoleMapping, Role
from scim.models import ScimToken
from scim.services import scim_token_create
from tests.browser.conftest import admin_login
from tests.browser.helpers import (
    docs_shot,
    expect_message_in_view,
    okta_user,
    scim_call,
)
from tests.factories import (
    DEFAULT_PASSWORD,
    AdminMembershipFactory,
    GroupRoleMappingFactory,
    OrganizationFactory,
    SamlConnectionFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)
WHEN = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$")


@pytest.fixture
def acme(live_server, settings):
    """Acme with SAML active and SCIM on, its admin logged in, and a token for Okta."""
    settings.BASE_URL = live_server.url
    org = OrganizationFactory(name="Acme", slug="acme", scim_enabled=True)
    SamlConnectionFactory(organization=org)
    admin = AdminMembershipFactory(organization=org, user__email="it@acme.example").user
    token = scim_token_create(organization=org, actor=Actor.for_user(admin),
                              description="Okta production", created_by=admin)
    return org, admin, token.plaintext, f"{live_server.url}/scim/v2"


def tab(org) -> str:
    return f"/admin/orgs/organization/{org.pk}/sso/provisioning/"


def okta_pushes(scim: str, token: str, people: int) -> list[str]:
    """Okta provisions ``people`` members, updates the first, pushes a group with two of them
    and deactivates the last: one SCIM request each."""
    ids = []
    for i in range(people):
        status, body = scim_call(f"{scim}/Users", token, okta_user(f"person{i}@okta.local"))
        assert status == 201, body
        ids.append(body["id"])
    status, first = scim_call(f"{scim}/Users/{ids[0]}", token)
    first |= {"name": {"givenName": "Ada", "familyName": "Byron"}, "title": "Engineer"}
    assert scim_call(f"{scim}/Users/{ids[0]}", token, first, method="PUT")[0] == 200
    assert scim_call(f"{scim}/Groups", token, {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Engineering",
        "members": [{"value": ids[0]}, {"value": ids[1]}],
    })[0] == 201
    status, last = scim_call(f"{scim}/Users/{ids[-1]}", token)
    assert scim_call(f"{scim}/Users/{ids[-1]}", token, last | {"active": False},
                     method="PUT")[0] == 200
    return ids


def test_overview_counts_chart_and_last_push(page: Page, acme, screenshot):
    org, admin, token, scim = acme
    okta_pushes(scim, token, 3)
    admin_login(page, admin.email, DEFAULT_PASSWORD)
    page.goto(tab(org))
    scim_row = page.locator("#member-counts-scim td")
    expect(scim_row).to_have_text(["2", "0", "1", "3"])  # invited, active, deactivated, total
    expect(page.locator("#member-counts-manual td")).to_have_text(["0", "1", "0", "1"])
    # Every call of the IdP is in the request log: 3 creates, 2 GETs, 2 PUTs, 1 group POST.
    expect(page.locator("#scim-chart-7 figcaption")).to_contain_text("8 requests, 0 errors")
    expect(page.locator("#scim-chart-30 svg rect.requests")).to_have_count(30)
    expect(page.locator("#last-push")).to_contain_text("SCIM token rst_scim_")
    assert WHEN.match(page.locator("#last-push").inner_text().splitlines()[0])
    expect(page.locator("#base-url-warning")).to_contain_text(
        "a loopback address: Okta cannot reach it"
    )
    screenshot(page, "provisioning-overview")


def test_point3_scim_activity_in_words_one_row_per_request(page: Page, acme, screenshot):
    org, admin, token, scim = acme
    okta_pushes(scim, token, 26)  # 26 creates + a PUT + a group push + a deactivation
    admin_login(page, admin.email, DEFAULT_PASSWORD)
    page.goto(tab(org))
    labels = page.locator("#scim-activity td.activity-label strong")
    expect(labels).to_have_text(["Member deactivated", "Group created", "Member updated",
                                 "Member provisioned", "Member provisioned"])
    page.get_by_role("link", name="All SCIM activity, with filters").click()
    rows = page.locator("#scim-activity tbody tr")
    expect(rows).to_have_count(25)
    expect(page.locator("#scim-activity-pages")).to_contain_text("Page 1 of 2 · 30 requests")
    update = rows.filter(has_text="Member updated")
    expect(update).to_contain_text("First name: Test → Ada")  # before → after
    expect(update).to_contain_text("title: Engineer")
    expect(rows.filter(has_text="Group created")).to_contain_text(
        "Added: person0@okta.local, person1@okta.local"
    )
    expect(rows.filter(has_text="Member deactivated")).to_contain_text("Active: yes → no")
    created = rows.filter(has_text="person10@okta.local")
    expect(created).to_contain_text("Member provisioned")
    expect(created).to_contain_text("Email: person10@okta.local")
    expect(created).to_contain_text("Role: Member")
    screenshot(page, "scim-activity-requests")
    page.locator("#activity-older").click()
    expect(rows).to_have_count(5)  # 30 requests: 25 + 4 more and the token's creation
    expect(page.locator("#scim-activity-pages")).to_contain_text("Page 2 of 2")
    page.get_by_label("Member, group or token:").fill("person1@")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("person1@okta.local")
    page.get_by_label("Action:").select_option(label="Member deactivated")
    page.get_by_label("Member, group or token:").fill("")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("person25@okta.local")
    assert WHEN.match(rows.locator("td").first.inner_text())


def test_point4_a_mapping_is_replaced_only_when_confirmed(page: Page, acme, screenshot):
    org, admin, _, _ = acme
    GroupRoleMappingFactory(organization=org, idp_group_name="Okta Admins", role=Role.ADMIN)
    admin_login(page, admin.email, DEFAULT_PASSWORD)
    page.goto(tab(org))
    page.get_by_label("IdP group name:").fill("OKTA ADMINS")
    page.get_by_label("Role:").select_option("member")
    page.get_by_role("button", name="Add mapping").click()
    expect(page.locator("#group-role-mapping-replace")).to_contain_text(
        "“Okta Admins” is already mapped to Admin."
    )
    docs_shot(screenshot, page, "group-role-mapping-replace", "#content-main")
    assert GroupRoleMapping.objects.get().role == Role.ADMIN
    page.get_by_role("link", name="No, keep Okta Admins → Admin").click()
    expect(page.locator("#group-role-mappings tbody")).to_contain_text("Admin")
    page.get_by_label("IdP group name:").fill("OKTA ADMINS")
    page.get_by_label("Role:").select_option("member")
    page.get_by_role("button", name="Add mapping").click()
    page.get_by_role("button", name="Yes, replace the mapping").click()
    expect_message_in_view(page, "Replaced the mapping for “Okta Admins”: now members "
                                 "provisioned by SCIM who have not signed in yet get the role "
                                 "Member")
    assert GroupRoleMapping.objects.get().role == Role.MEMBER


def test_point6_confirmations_are_in_view_after_the_redirect(page: Page, acme):
    org, admin, _, _ = acme
    org.scim_enabled = False
    org.save()
    admin_login(page, admin.email, DEFAULT_PASSWORD)
    page.goto(tab(org))
    page.get_by_role("switch", name="Enable SCIM provisioning").click()
    page.get_by_role("button", name="Yes, enable SCIM provisioning").click()
    expect_message_in_view(page, "Next: create a SCIM token for Okta under Manage SCIM Tokens.")
    assert "#" not in page.url
    # The mappings form is at the bottom of a long page; its confirmation is still on screen.
    page.get_by_label("IdP group name:").fill("Roster Admins")
    page.get_by_role("button", name="Add mapping").click()
    expect_message_in_view(page, "get the role Member")
    assert "#" not in page.url


def test_point7_token_descriptions_are_checked_and_wrap(page: Page, acme, screenshot):
    org, admin, _, _ = acme
    admin_login(page, admin.email, DEFAULT_PASSWORD)
    page.goto(f"{tab(org)}tokens/")
    description = page.get_by_label("Description")
    for value, error in [("   ", "This field is required."),
                         ("Okta\u202eatkO", "bidirectional control character (U+202E)")]:
        description.fill(value)
        page.get_by_role("button", name="Create", exact=True).click()
        expect(page.locator("#create .errorlist")).to_contain_text(error)
    assert ScimToken.objects.filter(organization=org).count() == 1
    long = "x" * 100  # the longest allowed, and unbroken
    page.get_by_label("Description").fill(long)
    page.get_by_role("button", name="Create", exact=True).click()
    page.get_by_role("link", name="I have copied it — back to Manage SCIM Tokens").click()
    row = page.locator("#scim-token-list tbody tr", has_text=long[:20])
    revoke = row.get_by_role("link", name="Revoke")
    expect(revoke).to_be_in_viewport()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, width  # the page does not widen
    docs_shot(screenshot, page, "scim-tokens-long-description", "#scim-token-list")


def test_point9_dates_revoked_by_and_the_scim_url_copy_button(
    page: Page, acme, live_server, screenshot
):
    org, admin, token, _ = acme
    admin_login(page, admin.email, DEFAULT_PASSWORD)
    page.goto(tab(org))
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.locator("#copy-scim-url").click()
    expect(page.locator("#copy-scim-url")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == f"{live_server.url}/scim/v2"
    page.get_by_role("link", name="Manage SCIM Tokens").click()
    row = page.locator("#scim-token-list tbody tr", has_text="Okta production")
    row.get_by_role("link", name="Revoke").click()
    page.get_by_role("button", name="Yes, revoke this token").click()
    expect_message_in_view(page, "Revoked token")
    revoked = row.locator(".scim-token-revoked")
    expect(revoked).to_contain_text(" by it@acme.example")
    assert WHEN.match(revoked.inner_text().split(" by ")[0])
    created = row.locator("td").nth(2).inner_text().splitlines()[0]
    assert WHEN.match(created), created
    screenshot(page, "revoked-by")


def test_token_rotation(page: Page, acme, screenshot):
    org, admin, old_token, scim = acme
    admin_login(page, admin.email, DEFAULT_PASSWORD)
    page.goto(f"{tab(org)}tokens/")
    page.locator("#scim-token-list tbody tr", has_text="Okta production").get_by_role(
        "link", name="Rotate").click()
    expect(page.get_by_label("Keep the old token working for (hours)")).to_have_value("24")
    docs_shot(screenshot, page, "scim-token-rotate", "#content-main")
    page.get_by_role("button", name="Rotate token").click()
    expect(page.locator("#scim-token-rotated")).to_contain_text("keeps working until")
    new_token = page.locator("#new-scim-token").inner_text()
    assert new_token.startswith("rst_scim_") and new_token != old_token
    assert scim_call(f"{scim}/Users", old_token)[0] == 200  # both work meanwhile
    assert scim_call(f"{scim}/Users", new_token)[0] == 200
    page.get_by_role("link", name="I have copied it — back to Manage SCIM Tokens").click()
    rows = page.locator("#scim-token-list tbody tr")
    expect(rows).to_have_count(2)
    old_row = rows.filter(has_text="replaced by")
    expect(old_row).to_contain_text("rotated: works until then")
    expect(old_row.locator(".scim-token-expiry")).to_contain_text(" UTC")
    docs_shot(screenshot, page, "scim-tokens-rotated", "#scim-token-list")
    old_row.get_by_role("link", name="Revoke").click()
    page.get_by_role("button", name="Yes, revoke this token").click()
    assert scim_call(f"{scim}/Users", old_token)[0] == 401
    assert scim_call(f"{scim}/Users", new_token)[0] == 200

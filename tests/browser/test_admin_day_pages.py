"""Issue 14 in Chromium, the admin's other pages: what the IdP owns is locked with a note,
members list their groups and groups their member count and source, and error pages say what
happened and where to go in the admin's look (point 8)."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from orgs.models import GroupSource, MembershipSource, MembershipStatus
from tests.browser.conftest import admin_login
from tests.browser.helpers import docs_shot
from tests.factories import (
    DEFAULT_PASSWORD,
    AdminMembershipFactory,
    GroupFactory,
    MembershipFactory,
    OrganizationFactory,
    SamlConnectionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def acme(live_server, settings):
    settings.BASE_URL = live_server.url
    org = OrganizationFactory(name="Acme", slug="acme", scim_enabled=True)
    SamlConnectionFactory(organization=org)
    admin = AdminMembershipFactory(organization=org, user__email="it@acme.example").user
    jane = MembershipFactory(organization=org, user=None, email="jane@okta.local",
                             given_name="Jane", family_name="Doe", status=MembershipStatus.INVITED,
                             source=MembershipSource.SCIM, scim_user_name="jane@okta.local",
                             external_id="00ujane")
    sam = MembershipFactory(organization=org, user__email="sam@acme.example",
                            source=MembershipSource.MANUAL)
    GroupFactory(organization=org, display_name="Engineering", source=GroupSource.SCIM,
                 members=[jane, sam])
    GroupFactory(organization=org, display_name="Design", members=[sam])
    return org, admin, jane, sam


def test_what_okta_provisioned_is_locked_with_a_note(page: Page, acme, screenshot):
    org, admin, jane, sam = acme
    admin_login(page, admin.email, DEFAULT_PASSWORD)
    page.goto(f"/admin/orgs/membership/{jane.pk}/change/")
    managed = page.locator("fieldset.idp-managed")
    expect(managed).to_contain_text("Okta manages these fields")
    expect(managed.locator("input, select")).to_have_count(0)  # all read-only
    expect(page.get_by_label("Role:")).to_be_editable()
    docs_shot(screenshot, page, "member-managed-by-okta", "#content-main")
    # The list's Deactivate action is refused for Jane with the reason, done for Sam.
    page.goto("/admin/orgs/membership/")
    for member in (jane, sam):
        page.locator(f'input[name="_selected_action"][value="{member.pk}"]').check()
    page.locator('select[name="action"]').select_option("deactivate")
    page.get_by_role("button", name="Go").click()
    messages = page.locator(".messagelist")
    expect(messages).to_contain_text("Deactivated 1 item(s).")
    expect(messages).to_contain_text("Okta manages these fields (SCIM): whether jane@okta.local "
                                     "is active")
    expect(messages).to_contain_text("Deactivate them in Okta (unassign the Roster app)")
    screenshot(page, "deactivate-refused")
    jane.refresh_from_db()
    assert jane.is_active


def test_members_and_groups_pages_show_groups_sources_and_counts(page: Page, acme, screenshot):
    org, admin, jane, sam = acme
    admin_login(page, admin.email, DEFAULT_PASSWORD)
    page.set_viewport_size({"width": 1920, "height": 700})  # every column in the screenshot
    page.goto("/admin/orgs/membership/")
    jane_row = page.locator("#result_list tbody tr", has_text="jane@okta.local")
    expect(jane_row.locator("td.field-groups_list")).to_have_text("Engineering")
    expect(jane_row.locator("td.field-source")).to_have_text("SCIM")
    sam_row = page.locator("#result_list tbody tr", has_text="sam@acme.example")
    expect(sam_row.locator("td.field-groups_list")).to_have_text("Design, Engineering")
    expect(sam_row.locator("td.field-source")).to_have_text("Manual")
    docs_shot(screenshot, page, "members-list")
    page.goto("/admin/orgs/group/")
    engineering = page.locator("#result_list tbody tr", has_text="Engineering")
    expect(engineering.locator("td.field-member_count")).to_have_text("2")
    expect(engineering.locator("td.field-source")).to_have_text("SCIM")
    expect(page.locator("#result_list tbody tr", has_text="Design").locator(
        "td.field-member_count")).to_have_text("1")
    docs_shot(screenshot, page, "groups-list", "#changelist")
    engineering.get_by_role("link", name="Engineering").click()
    expect(page.locator("fieldset.idp-managed")).to_contain_text("rename it in your identity "
                                                                "provider")


def test_point8_error_pages_say_what_happened_and_where_to_go(
    page: Page, acme, live_server, settings, screenshot
):
    org, _, _, sam = acme
    globex = OrganizationFactory(name="Globex", slug="globex")
    outsider = AdminMembershipFactory(organization=globex).user
    admin_login(page, outsider.email, DEFAULT_PASSWORD)
    response = page.goto(f"/admin/orgs/organization/{org.pk}/sso/provisioning/")
    assert response is not None and response.status == 403
    expect(page.locator("#error-page h1")).to_have_text("You don't have access to this page")
    expect(page.locator("#error-page")).to_contain_text(outsider.email)
    assert "Acme" not in page.content()
    docs_shot(screenshot, page, "error-403", "#container")
    page.locator("#error-admin-home").click()
    page.wait_for_url("**/admin/")

    response = page.goto(f"/admin/orgs/membership/{sam.pk}/change/")
    assert response is not None and response.status == 404
    expect(page.locator("#error-page h1")).to_have_text("This page does not exist")
    assert str(sam.pk) not in page.content()
    screenshot(page, "error-404")

    # A member who signed in through SSO opens the admin: not a password form.
    page.context.clear_cookies()
    member = UserFactory(email="grace@acme.example", setup_completed_at=timezone.now())
    MembershipFactory(organization=org, user=member)
    page.context.add_cookies([_session_cookie(live_server.url, member)])
    response = page.goto("/admin/")
    assert response is not None and response.status == 403
    expect(page.locator("#error-page h1")).to_have_text("The admin is for organization admins")
    expect(page.locator("#error-page")).to_contain_text("your account has no password here")
    expect(page.locator('input[name="password"]')).to_have_count(0)
    docs_shot(screenshot, page, "admin-no-access", "#container")
    page.locator("#error-account").click()
    page.wait_for_url("**/account/")
    expect(page.locator("#organizations")).to_contain_text("Acme")

    settings.ROOT_URLCONF = "tests.error_urls"
    response = page.goto("/broken/")
    assert response is not None and response.status == 500
    expect(page.locator("#error-page h1")).to_have_text("Something went wrong on our side")
    expect(page.locator("#error-request-id")).not_to_be_empty()
    screenshot(page, "error-500")


def _session_cookie(base_url: str, user) -> dict:
    """A session for ``user`` as a SAML sign-in would leave it (no password involved)."""
    from django.conf import settings as django_settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "sso.backends.SsoEnforcingModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return {"name": django_settings.SESSION_COOKIE_NAME, "value": session.session_key,
            "url": base_url}

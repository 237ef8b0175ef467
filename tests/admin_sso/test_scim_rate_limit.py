"""The SCIM rate limit on the Provisioning tab: shown, changed by the org's admins through the
audited service, bad input answered with a form error, other organizations' admins refused."""

from __future__ import annotations

import pytest

from orgs.models import AuditEvent, Organization

pytestmark = pytest.mark.django_db


def test_the_tab_shows_the_limit_and_links_to_its_form(admin_client_, url, org):
    html = admin_client_.get(url("sso_provisioning", org)).content.decode()
    assert "Rate limit: <strong>6000</strong> requests per minute per token." in html
    assert f'href="{url("scim_rate_limit", org)}" id="change-scim-rate-limit"' in html
    form = admin_client_.get(url("scim_rate_limit", org))
    assert form.status_code == 200
    assert 'name="per_minute" value="6000"' in form.content.decode()
    assert "Microsoft Entra ID needs about 1,500" in form.content.decode()


def test_an_org_admin_changes_the_limit(admin_client_, url, org, org_admin):
    response = admin_client_.post(url("scim_rate_limit", org), {"per_minute": "1500"},
                                  follow=True)
    assert response.redirect_chain == [(url("sso_provisioning", org) + "#scim-requests", 302)]
    html = response.content.decode()
    assert "Each SCIM token of Acme may now make 1,500 requests per minute." in html
    assert "Rate limit: <strong>1500</strong>" in html
    assert Organization.objects.get(pk=org.pk).scim_rate_limit_per_minute == 1500
    event = AuditEvent.objects.get(action="org.scim.rate_limit_changed")
    assert (event.actor_kind, event.actor_id, event.data) == (
        "user", str(org_admin.user.pk), {"per_minute": [6000, 1500]})


@pytest.mark.parametrize("value,message", [
    ("10", "Ensure this value is greater than or equal to 60."),
    ("100000", "Ensure this value is less than or equal to 60000."),
    ("many", "Enter a whole number."),
    ("", "This field is required."),
])
def test_bad_input_is_a_form_error(admin_client_, url, org, value, message):
    response = admin_client_.post(url("scim_rate_limit", org), {"per_minute": value})
    assert response.status_code == 200
    assert response.context["form"].errors == {"per_minute": [message]}
    assert Organization.objects.get(pk=org.pk).scim_rate_limit_per_minute == 6000
    assert not AuditEvent.objects.exists()


def test_only_the_orgs_admins_may_change_it(other_admin_client, staff_member_client, url, org):
    for client in (other_admin_client, staff_member_client):
        assert client.get(url("scim_rate_limit", org)).status_code == 403
        assert client.post(url("scim_rate_limit", org), {"per_minute": "60"}).status_code == 403
    assert Organization.objects.get(pk=org.pk).scim_rate_limit_per_minute == 6000


def test_the_organization_change_page_shows_the_limit_read_only(admin_client_, org):
    from django.urls import reverse

    html = admin_client_.get(reverse("admin:orgs_organization_change", args=[org.pk])
                             ).content.decode()
    assert "SCIM rate limit (requests per minute per token)" in html
    assert 'name="scim_rate_limit_per_minute"' not in html
    assert "SCIM, its rate limit and SSO enforcement are changed on the SSO page." in html

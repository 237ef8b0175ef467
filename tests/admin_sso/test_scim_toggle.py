"""The Enable SCIM provisioning toggle: confirmation, the service's preconditions explained on
the page, one audit event per change, tokens untouched."""

from __future__ import annotations

import pytest

from orgs.models import AuditEvent
from orgs.plans import Plan
from scim.models import ScimToken
from tests.factories import ScimTokenFactory

pytestmark = pytest.mark.django_db


def _toggle_html(response) -> str:
    html = response.content.decode()
    start = html.index('id="scim-toggle"')
    return html[html.rindex("<", 0, start): html.index("</", start)]


def test_enable_asks_for_confirmation_then_posts(admin_client_, url, org, org_admin):
    org.scim_enabled = False
    org.save()
    tab = admin_client_.get(url("sso_provisioning", org))
    toggle = _toggle_html(tab)
    assert 'aria-checked="false"' in toggle
    assert f'href="{url("scim_enable", org)}"' in toggle

    confirm = admin_client_.get(url("scim_enable", org))
    assert "Yes, enable SCIM provisioning" in confirm.content.decode()
    org.refresh_from_db()
    assert org.scim_enabled is False  # a GET changes nothing
    assert not AuditEvent.objects.exists()

    response = admin_client_.post(url("scim_enable", org), follow=True)
    assert response.redirect_chain[-1][0].startswith(url("sso_provisioning", org))
    org.refresh_from_db()
    assert org.scim_enabled is True
    assert "SCIM provisioning is enabled for Acme" in response.content.decode()
    assert 'aria-checked="true"' in _toggle_html(response)
    event = AuditEvent.objects.get()
    assert (event.action, event.organization_id) == ("org.scim.enabled", org.pk)
    assert (event.actor_kind, event.actor_id) == ("user", str(org_admin.user.pk))
    assert event.ip == "127.0.0.1"


def test_disable_keeps_tokens_and_writes_one_event(admin_client_, url, org):
    token = ScimTokenFactory(organization=org)
    confirm = admin_client_.get(url("scim_disable", org))
    assert "Yes, disable SCIM provisioning" in confirm.content.decode()
    response = admin_client_.post(url("scim_disable", org), follow=True)
    org.refresh_from_db()
    assert org.scim_enabled is False
    assert "SCIM provisioning is disabled for Acme" in response.content.decode()
    assert ScimToken.objects.get() == token
    token.refresh_from_db()
    assert token.status == "active"
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["org.scim.disabled"]
    # Disabling again is a no-op: no second event.
    admin_client_.post(url("scim_disable", org))
    assert AuditEvent.objects.count() == 1


def test_toggle_disabled_when_the_plan_lacks_scim(admin_client_, url, org):
    org.plan = Plan.PRO
    org.scim_enabled = False
    org.save()
    tab = admin_client_.get(url("sso_provisioning", org))
    toggle = _toggle_html(tab)
    assert 'aria-disabled="true"' in toggle
    assert "href=" not in toggle
    html = tab.content.decode()
    assert "SCIM provisioning is an Enterprise feature; Acme is on the Pro plan." in html
    assert "Ask your Roster operator to move this organization to the Enterprise plan." in html

    confirm = admin_client_.get(url("scim_enable", org)).content.decode()
    assert "cannot be enabled" in confirm
    assert "Yes, enable" not in confirm

    response = admin_client_.post(url("scim_enable", org), follow=True)
    org.refresh_from_db()
    assert org.scim_enabled is False
    assert "Enterprise feature" in str(list(response.context["messages"]))
    assert not AuditEvent.objects.exists()


def test_superuser_is_pointed_at_the_plan(superuser_client, url, org):
    org.plan = Plan.FREE
    org.scim_enabled = False
    org.save()
    html = superuser_client.get(url("sso_provisioning", org)).content.decode()
    assert "Change the organization&#x27;s plan to Enterprise." in html
    assert f'href="/admin/orgs/organization/{org.pk}/change/"' in html


def test_toggle_disabled_without_an_active_saml_connection(admin_client_, url, org):
    org.scim_enabled = False
    org.save()
    org.saml_connection.is_active = False
    org.saml_connection.save()
    tab = admin_client_.get(url("sso_provisioning", org))
    assert 'aria-disabled="true"' in _toggle_html(tab)
    html = tab.content.decode()
    assert "SCIM provisioning needs an active SAML connection" in html
    assert "Configure and activate SAML SSO on the SAML tab first." in html
    assert f'href="{url("sso_saml", org)}"' in html

    response = admin_client_.post(url("scim_enable", org), follow=True)
    org.refresh_from_db()
    assert org.scim_enabled is False
    assert "Configure and activate SAML SSO first" in str(list(response.context["messages"]))


def test_enabled_scim_can_still_be_turned_off_after_saml_is_deactivated(
    admin_client_, url, org
):
    org.saml_connection.is_active = False
    org.saml_connection.save()
    tab = admin_client_.get(url("sso_provisioning", org))
    toggle = _toggle_html(tab)
    assert 'aria-checked="true"' in toggle
    assert f'href="{url("scim_disable", org)}"' in toggle
    # The overview says what that means now (SCIM calls are refused), once.
    assert "SCIM is on, but SAML SSO is not active:</strong> every SCIM call is refused (403)" in (
        tab.content.decode()
    )
    assert "could not be turned on again" not in tab.content.decode()
    admin_client_.post(url("scim_disable", org))
    org.refresh_from_db()
    assert org.scim_enabled is False


def test_tab_shows_the_scim_url(admin_client_, url, org, settings):
    settings.BASE_URL = "https://roster.example.com"
    html = admin_client_.get(url("sso_provisioning", org)).content.decode()
    assert '<code id="scim-url">https://roster.example.com/scim/v2</code>' in html
    assert '<button type="button" class="button" data-copy="scim-url"' in html  # a Copy button


def test_the_toggle_takes_effect_at_once_for_the_scim_api_and_keeps_everything(
    admin_client_, url, org
):
    """Disable on the tab → the next SCIM call is 403 with a SCIM error; enable again → the
    same token works and the members Okta made are all still there."""
    import json

    from django.test import Client

    from orgs.audit import Actor
    from orgs.models import Membership
    from scim.services import scim_token_create

    token = scim_token_create(organization=org, actor=Actor.system(), description="Okta")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token.plaintext}")
    created = api.post("/scim/v2/Users", json.dumps({"userName": "kept@okta.local"}),
                       content_type="application/scim+json")
    assert created.status_code == 201
    uid = json.loads(created.content)["id"]

    admin_client_.post(url("scim_disable", org))
    refused = api.get("/scim/v2/Users")
    assert refused.status_code == 403
    assert refused["Content-Type"].startswith("application/scim+json")
    assert json.loads(refused.content)["status"] == "403"
    assert Membership.objects.filter(pk=uid, is_active=True).exists()
    token.token.refresh_from_db()
    assert token.token.status == "active"

    admin_client_.post(url("scim_enable", org))
    listed = api.get("/scim/v2/Users")
    assert listed.status_code == 200
    assert uid in [r["id"] for r in json.loads(listed.content)["Resources"]]

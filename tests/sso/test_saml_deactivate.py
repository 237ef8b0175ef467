"""Deactivating SAML SSO asks first, and says more while SCIM is on; while SAML is off every SCIM
call is refused with a clear detail (issue 14, point 2). Test login's hint and the refusal page
tell operators why they cannot test login, and lead back (point 1)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from orgs.audit import Actor
from orgs.models import AuditEvent, Membership, MembershipSource
from scim.services import scim_token_create
from sso.models import SamlConnection
from tests.factories import AdminMembershipFactory, MembershipFactory, UserFactory
from tests.sso.conftest import HOST, good_response, post_acs
from tests.sso.idp import authn_request_from_redirect

pytestmark = pytest.mark.django_db


def url(name: str, org) -> str:
    return reverse(f"admin:orgs_organization_{name}", args=[org.pk])


@pytest.fixture
def admin_client(org) -> Client:
    client = Client()
    client.force_login(AdminMembershipFactory(organization=org).user)
    return client


def scim_get(token: str):
    return Client().get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_deactivating_while_scim_is_on_is_confirmed_with_its_consequence(admin_client, org):
    MembershipFactory(organization=org, user=None, email="p@okta.local",
                      source=MembershipSource.SCIM)
    tab = admin_client.get(url("sso_saml", org)).content.decode()
    assert f'href="{url("saml_deactivate", org)}" id="saml-deactivate"' in tab  # a link now
    page = admin_client.get(url("saml_deactivate", org))
    html = page.content.decode()
    assert "SCIM provisioning is on for Acme: while SAML SSO is off, every SCIM call" in html
    assert "the 1 active member Okta provisioned cannot sign in" in html
    assert "Yes, deactivate SAML SSO and stop SCIM" in html
    assert SamlConnection.objects.get(organization=org).is_active  # a GET changes nothing

    # A POST without the acknowledgement (an old form, a script) is refused by the service.
    response = admin_client.post(url("saml_deactivate", org), follow=True)
    assert "Confirm to deactivate SAML SSO anyway" in response.content.decode()
    assert SamlConnection.objects.get(organization=org).is_active

    response = admin_client.post(url("saml_deactivate", org), {"scim_acknowledged": "1"},
                                 follow=True)
    html = response.content.decode()
    assert "SAML SSO is deactivated. SCIM provisioning stays on, but every SCIM call is " in html
    assert response.redirect_chain[-1][0] == url("sso_saml", org)  # no #anchor: message on top
    assert not SamlConnection.objects.get(organization=org).is_active
    assert AuditEvent.objects.get(action="sso.saml.deactivated").data == {"scim_enabled": True}


def test_without_scim_the_confirmation_is_short(admin_client, org):
    org.scim_enabled = False
    org.save()
    html = admin_client.get(url("saml_deactivate", org)).content.decode()
    assert "SCIM provisioning is on" not in html
    assert 'value="Yes, deactivate SAML SSO"' in html
    admin_client.post(url("saml_deactivate", org))
    assert not SamlConnection.objects.get(organization=org).is_active


def test_scim_is_refused_while_saml_is_off(org):
    token = scim_token_create(organization=org, actor=Actor.system(), description="Okta")
    assert scim_get(token.plaintext).status_code == 200
    SamlConnection.objects.filter(organization=org).update(is_active=False)
    response = scim_get(token.plaintext)
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/scim+json")
    assert response.json()["detail"] == (
        "SAML SSO is not active for this organization: provisioned members could not sign in."
    )
    created = Client().post("/scim/v2/Users", {"userName": "x@okta.local"},
                            content_type="application/scim+json",
                            HTTP_AUTHORIZATION=f"Bearer {token.plaintext}")
    assert created.status_code == 403
    assert not Membership.objects.filter(email="x@okta.local").exists()
    SamlConnection.objects.filter(organization=org).delete()
    assert scim_get(token.plaintext).status_code == 403


def test_the_test_login_hint_and_an_operators_callout(org):
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True, email="op@roster.example"))
    html = client.get(url("sso_saml", org)).content.decode()
    assert "Roster operators (superusers) can't test login" in html
    assert "You are signed in as an operator (op@roster.example), so Test login will be " in html
    client.force_login(AdminMembershipFactory(organization=org).user)
    html = client.get(url("sso_saml", org)).content.decode()
    assert "Roster operators (superusers) can't test login" in html
    assert 'id="saml-test-login-operator"' not in html


def test_an_operators_test_login_is_refused_with_a_way_back(client, saml_org, sign_in):
    operator = UserFactory(is_staff=True, is_superuser=True, email="op@acme.example")
    MembershipFactory(organization=saml_org, user=operator)
    client.force_login(operator)
    response = sign_in(saml_org, "op@acme.example")
    assert response.status_code == 403
    html = response.content.decode()
    assert "so an operator cannot use Test login" in html
    back = url("sso_saml", saml_org)
    assert f'id="refusal-back" href="{back}">Back to the SAML tab</a>' in html
    assert 'href="/static/admin/css/base.css"' in html  # the admin's look
    # Someone who does not administer Acme gets the organization's sign-in instead.
    anonymous = Client()
    page = anonymous.post(reverse("sso:acs", args=[saml_org.slug]), {"SAMLResponse": "x"},
                          HTTP_HOST=HOST, secure=True).content.decode()
    assert 'id="refusal-back"' not in page
    assert f'href="{reverse("sso:login", args=[saml_org.slug])}"' in page


def test_a_test_login_refused_cross_site_still_leads_back_to_the_tab(saml_org, idp):
    """Okta's POST to the ACS is cross-site, so no session cookie comes with it: the login
    that Test login started (its next is the SAML tab) is what leads back."""
    operator = UserFactory(is_staff=True, is_superuser=True, email="op@acme.example")
    MembershipFactory(organization=saml_org, user=operator)
    tab = url("sso_saml", saml_org)
    admin = Client()
    admin.force_login(operator)
    start = admin.get(reverse("sso:login", args=[saml_org.slug]), {"next": tab},
                      HTTP_HOST=HOST, secure=True)
    request_id, relay_state, _ = authn_request_from_redirect(start["Location"])
    okta_post = Client()  # cross-site: without the admin's session
    response = post_acs(okta_post, saml_org, good_response(
        idp, saml_org, "op@acme.example", in_response_to=request_id), relay_state=relay_state)
    html = response.content.decode()
    assert response.status_code == 403
    assert f'id="refusal-back" href="{tab}">Back to the SAML tab</a>' in html

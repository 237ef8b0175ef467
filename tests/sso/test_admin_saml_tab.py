"""The SSO page's SAML tab through the Django test client: values for Okta, the settings form
and its validation, activation, Enforce SAML SSO and who may do any of it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from orgs.models import AuditEvent
from sso import saml
from sso.models import SamlConnection
from tests.factories import (
    DEFAULT_PASSWORD,
    AdminMembershipFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
)
from tests.sso.idp import TestIdP, make_key_pair, metadata_for

pytestmark = pytest.mark.django_db


def url(name: str, org) -> str:
    return reverse(f"admin:orgs_organization_{name}", args=[org.pk])


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def new_org(db):
    """An Enterprise org with no SAML connection yet, and its admin."""
    org = OrganizationFactory(name="Initech", slug="initech")
    return org


@pytest.fixture
def admin_client(new_org) -> Client:
    return logged_in(AdminMembershipFactory(organization=new_org).user)


def form_data(idp: TestIdP, **overrides: str) -> dict[str, str]:
    return {
        "idp_sso_url": idp.sso_url, "idp_entity_id": idp.entity_id,
        "idp_x509_cert": idp.keys.cert_pem, "idp_metadata_xml": "",
    } | overrides


def test_tab_shows_the_values_to_paste_into_okta(admin_client, new_org):
    response = admin_client.get(url("sso_saml", new_org))
    assert response.status_code == 200
    html = response.content.decode()
    assert saml.acs_url(new_org) == "https://sp.example.com/sso/saml/initech/acs/"
    for value in (saml.acs_url(new_org), saml.sp_entity_id(new_org), "EmailAddress",
                  "firstName", "lastName"):
        assert value in html
    assert html.count('class="button sso-copy"') == 6
    assert 'id="saml-settings-form"' in html
    assert 'aria-disabled="true" id="saml-enforce-toggle"' in html


def test_saving_settings(admin_client, new_org, idp):
    response = admin_client.post(url("saml_settings", new_org), form_data(idp))
    assert response.status_code == 302
    conn = SamlConnection.objects.get(organization=new_org)
    assert conn.idp_entity_id == idp.entity_id and conn.idp_sso_url == idp.sso_url
    assert saml.certificate_body(conn.idp_x509_cert) == saml.certificate_body(idp.keys.cert_pem)
    assert conn.configured_at is not None and not conn.is_active
    event = AuditEvent.objects.get(organization=new_org, action="sso.saml.configured")
    assert event.actor_kind == "user"
    page = admin_client.get(url("sso_saml", new_org)).content.decode()
    assert "Activate SAML SSO" in page and "okta-test" in page  # the certificate's subject


def test_pasted_metadata_fills_the_settings(admin_client, new_org, idp):
    data = form_data(idp, idp_sso_url="", idp_entity_id="", idp_x509_cert="",
                     idp_metadata_xml=metadata_for(idp))
    assert admin_client.post(url("saml_settings", new_org), data).status_code == 302
    conn = SamlConnection.objects.get(organization=new_org)
    assert conn.idp_entity_id == idp.entity_id and conn.idp_sso_url == idp.sso_url


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("idp_x509_cert", "-----BEGIN CERTIFICATE-----\nMIIBnonsense\n-----END CERTIFICATE-----",
         "not a valid X.509 certificate"),
        ("idp_x509_cert", make_key_pair("old", not_before_days=-400, not_after_days=-2).cert_pem,
         "expired"),
        ("idp_sso_url", "http://acme.okta.com/app/sso/saml", "must be an https:// URL"),
        ("idp_metadata_xml", "<not-metadata/>", "must hold the IdP entity id"),
        ("idp_metadata_xml", "<<<", "could not be read"),
    ],
)
def test_invalid_settings_are_form_errors(admin_client, new_org, idp, field, value, message):
    response = admin_client.post(url("saml_settings", new_org), form_data(idp, **{field: value}))
    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    assert not SamlConnection.objects.filter(organization=new_org).exists()


def test_activate_test_login_and_enforce(admin_client, new_org, idp, sign_in):
    admin_client.post(url("saml_settings", new_org), form_data(idp))
    assert admin_client.post(url("saml_activate", new_org)).status_code == 302
    assert SamlConnection.objects.get(organization=new_org).is_active

    tab = admin_client.get(url("sso_saml", new_org)).content.decode()
    test_login = reverse("sso:login", args=[new_org.slug])
    assert f'href="{test_login}?next=' in tab

    admin_client.post(url("saml_enforce", new_org))  # refused: no SAML login yet
    new_org.refresh_from_db()
    assert not new_org.sso_enforced
    messages = [str(m) for m in admin_client.get(url("sso_saml", new_org)).context["messages"]]
    assert any("Log in once with SAML SSO" in m for m in messages)

    member = UserFactory(email="tester@okta.local", setup_completed_at=dt.datetime.now(dt.UTC))
    MembershipFactory(organization=new_org, user=member)
    assert sign_in(new_org, member.email).status_code == 302

    admin_client.post(url("saml_enforce", new_org))
    new_org.refresh_from_db()
    assert new_org.sso_enforced
    tab = admin_client.get(url("sso_saml", new_org)).content.decode()
    assert 'aria-checked="true" id="saml-enforce-toggle"' in tab

    admin_client.post(url("saml_deactivate", new_org))  # refused while enforced
    assert SamlConnection.objects.get(organization=new_org).is_active
    admin_client.post(url("saml_unenforce", new_org))
    admin_client.post(url("saml_deactivate", new_org))
    assert not SamlConnection.objects.get(organization=new_org).is_active


@pytest.mark.parametrize("action", ["saml_settings", "saml_activate", "saml_enforce"])
def test_another_orgs_admin_gets_403_and_changes_nothing(new_org, other_org, idp, action):
    client = logged_in(AdminMembershipFactory(organization=other_org).user)
    assert client.get(url("sso_saml", new_org)).status_code == 403
    assert client.post(url(action, new_org), form_data(idp)).status_code == 403
    assert not SamlConnection.objects.filter(organization=new_org).exists()


def test_staff_member_who_is_not_admin_is_refused(new_org, idp):
    user = UserFactory(is_staff=True, password=DEFAULT_PASSWORD)
    MembershipFactory(organization=new_org, user=user)
    client = logged_in(user)
    assert client.post(url("saml_settings", new_org), form_data(idp)).status_code == 403
    assert not SamlConnection.objects.filter(organization=new_org).exists()


def test_anonymous_is_sent_to_login(client, new_org, idp):
    response = client.post(url("saml_settings", new_org), form_data(idp))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_actions_are_post_only(admin_client, new_org):
    assert admin_client.get(url("saml_activate", new_org)).status_code == 405


def test_csrf_is_enforced(new_org, idp):
    client = Client(enforce_csrf_checks=True)
    client.force_login(AdminMembershipFactory(organization=new_org).user)
    assert client.post(url("saml_settings", new_org), form_data(idp)).status_code == 403
    assert not SamlConnection.objects.filter(organization=new_org).exists()


@pytest.mark.parametrize(
    ("idp_kwargs", "field", "message"),
    [
        ({"keys": make_key_pair("old", not_before_days=-400, not_after_days=-2)},
         "idp_x509_cert", "expired"),
        ({"sso_url": "http://acme.okta.com/app/roster/sso/saml"},
         "idp_sso_url", "must be an https:// URL"),
    ],
)
def test_pasted_metadata_is_validated_like_the_fields(
    admin_client, new_org, idp_kwargs, field, message
):
    """Values taken from pasted metadata get the same checks as typed ones."""
    bad_idp = TestIdP(**idp_kwargs)
    data = form_data(bad_idp, idp_sso_url="", idp_entity_id="", idp_x509_cert="",
                     idp_metadata_xml=metadata_for(bad_idp))
    response = admin_client.post(url("saml_settings", new_org), data)
    assert response.status_code == 400
    assert any(message in e for e in response.context["form"].errors[field])
    assert not SamlConnection.objects.filter(organization=new_org).exists()
    assert not AuditEvent.objects.exists()

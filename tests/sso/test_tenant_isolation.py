"""One organization's identity provider must not open another organization.

Accounts are global (one per email) and an org admin controls their own IdP, so whatever
Globex's IdP asserts must give at most what a member of Globex gets: it must not make an
operator session, take over an account that belongs to other organizations by just-in-time
provisioning, administer Acme, or accept Acme's invitation.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from orgs.models import AuditEvent, MembershipStatus, Role
from sso import saml
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory
from tests.sso.conftest import HOST, connect, post_acs
from tests.sso.keys import browser_like_setup

pytestmark = pytest.mark.django_db


@pytest.fixture
def globex(other_org, evil_idp):
    """Globex with its own IdP (its admin controls it: it can assert any email)."""
    connect(other_org, evil_idp)
    return other_org


def sign_in_via(client: Client, org, idp, email: str):
    xml = idp.response_xml(email=email, acs_url=saml.acs_url(org), audience=saml.sp_entity_id(org))
    return post_acs(client, org, xml)


def sso_page(client: Client, org) -> int:
    url = reverse("admin:orgs_organization_sso_provisioning", args=[org.pk])
    return client.get(url, HTTP_HOST=HOST, secure=True).status_code


@pytest.fixture
def acme_admin(saml_org):
    user = UserFactory(email="boss@acme.example", is_staff=True, password=DEFAULT_PASSWORD,
                       setup_completed_at=dt.datetime.now(dt.UTC))
    return MembershipFactory(organization=saml_org, user=user, role=Role.ADMIN)


def test_jit_never_takes_over_an_account_of_another_organization(
    client, saml_org, globex, evil_idp, acme_admin
):
    globex.sso_jit_provisioning = True
    globex.save()

    response = sign_in_via(client, globex, evil_idp, acme_admin.user.email)

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    assert not globex.memberships.filter(user=acme_admin.user).exists()
    event = AuditEvent.objects.get(organization=globex, action="sso.login.refused")
    assert event.data["reason"] == "unknown_user"
    # A brand-new email is still provisioned just in time.
    assert sign_in_via(Client(), globex, evil_idp, "fresh@globex.example").status_code == 302


def test_operators_never_sign_in_through_saml(client, saml_org, globex, evil_idp):
    root = UserFactory(email="root@roster.example", is_staff=True, is_superuser=True,
                       password=DEFAULT_PASSWORD, setup_completed_at=dt.datetime.now(dt.UTC))
    MembershipFactory(organization=globex, user=root, role=Role.ADMIN)

    response = sign_in_via(client, globex, evil_idp, root.email)

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    assert b"password" in response.content
    event = AuditEvent.objects.get(organization=globex, action="sso.login.refused")
    assert event.data["reason"] == "operator"


def test_a_saml_session_administers_only_the_orgs_that_signed_it_in(
    client, saml_org, idp, globex, evil_idp, acme_admin
):
    MembershipFactory(organization=globex, user=acme_admin.user, role=Role.ADMIN)

    assert sign_in_via(client, globex, evil_idp, acme_admin.user.email).status_code == 302

    assert sso_page(client, globex) == 200
    assert sso_page(client, saml_org) == 403  # Globex's IdP does not speak for Acme
    home = client.get(reverse("account:home"), HTTP_HOST=HOST, secure=True).content.decode()
    assert "Globex" in home and "Acme" not in home  # not even Acme's name
    assert home.count(">Administer</a>") == 1

    # Signing in through Acme's IdP as well adds Acme to this session.
    assert sign_in_via(client, saml_org, idp, acme_admin.user.email).status_code == 302
    assert sso_page(client, saml_org) == 200
    assert sso_page(client, globex) == 200

    # A password session is not tied to an IdP.
    password = Client()
    password.post(reverse("admin:login"), {"username": acme_admin.user.email,
                                           "password": DEFAULT_PASSWORD},
                  HTTP_HOST=HOST, secure=True)
    assert sso_page(password, saml_org) == 200 and sso_page(password, globex) == 200


def test_account_setup_accepts_only_the_invitations_of_the_signing_org(
    client, saml_org, idp, globex, evil_idp
):
    user = UserFactory(email="new@both.example")
    at_globex = MembershipFactory(organization=globex, user=user,
                                  status=MembershipStatus.INVITED)
    at_acme = MembershipFactory(organization=saml_org, user=user,
                                status=MembershipStatus.INVITED)
    assert sign_in_via(client, globex, evil_idp, user.email)["Location"] == "/account/setup/"
    fields = {k: v for k, v in browser_like_setup().items() if not k.startswith("_")}

    assert client.post("/account/setup/", fields, HTTP_HOST=HOST, secure=True).status_code == 302

    at_acme.refresh_from_db()
    at_globex.refresh_from_db()
    assert (at_globex.status, at_acme.status) == ("accepted", "invited")
    # Acme's own IdP vouching for them accepts Acme's invitation (keys already made).
    assert sign_in_via(client, saml_org, idp, user.email).status_code == 302
    at_acme.refresh_from_db()
    assert at_acme.status == "accepted"


def test_a_later_organization_cannot_choose_the_first_key_of_someone_another_org_had(
    client, saml_org, idp, globex, evil_idp
):
    """Acme invited the person first; Globex linked the same account later (SCIM links by
    email). Globex's IdP, which Globex's admin controls, must not make their keys."""
    user = UserFactory(email="new@both.example")
    at_acme = MembershipFactory(organization=saml_org, user=user,
                                status=MembershipStatus.INVITED)
    at_globex = MembershipFactory(organization=globex, user=user,
                                  status=MembershipStatus.INVITED)
    assert sign_in_via(client, globex, evil_idp, user.email)["Location"] == "/account/setup/"
    page = client.get("/account/setup/", HTTP_HOST=HOST, secure=True)
    assert page.status_code == 403
    assert "sign in through Acme&#x27;s single sign-on" in page.content.decode()
    assert b"setup-form" not in page.content
    fields = {k: v for k, v in browser_like_setup().items() if not k.startswith("_")}
    refused = client.post("/account/setup/", fields, HTTP_HOST=HOST, secure=True)
    assert refused.status_code == 403
    user.refresh_from_db()
    assert user.setup_completed_at is None and user.public_key == ""
    at_acme.refresh_from_db()
    at_globex.refresh_from_db()
    assert (at_acme.status, at_globex.status) == ("invited", "invited")
    assert not AuditEvent.objects.filter(action="account.setup_completed").exists()

    # Signed in through Acme (the home organization) in the same browser, setup goes ahead.
    assert sign_in_via(client, saml_org, idp, user.email)["Location"] == "/account/setup/"
    assert client.post("/account/setup/", fields, HTTP_HOST=HOST, secure=True).status_code == 302
    user.refresh_from_db()
    at_acme.refresh_from_db()
    assert user.setup_completed_at is not None and at_acme.status == "accepted"


def test_a_password_session_stays_unscoped_after_a_test_login(
    client, saml_org, globex, evil_idp, acme_admin
):
    """The admin signed in with their password, then used Test login on Globex's SAML tab:
    the same person, already proven, keeps what their password session gave them."""
    MembershipFactory(organization=globex, user=acme_admin.user, role=Role.ADMIN)
    client.post(reverse("admin:login"), {"username": acme_admin.user.email,
                                         "password": DEFAULT_PASSWORD},
                HTTP_HOST=HOST, secure=True)

    assert sign_in_via(client, globex, evil_idp, acme_admin.user.email).status_code == 302

    assert sso_page(client, saml_org) == 200 and sso_page(client, globex) == 200


def test_another_persons_session_is_replaced_and_scoped(
    client, saml_org, globex, evil_idp, acme_admin
):
    """Someone else's password session in the same browser gives nothing to the SAML login."""
    client.post(reverse("admin:login"), {"username": acme_admin.user.email,
                                         "password": DEFAULT_PASSWORD},
                HTTP_HOST=HOST, secure=True)
    other = UserFactory(email="other@globex.example", is_staff=True)
    MembershipFactory(organization=globex, user=other, role=Role.ADMIN)

    assert sign_in_via(client, globex, evil_idp, other.email).status_code == 302

    assert client.session["_auth_user_id"] == str(other.pk)
    assert sso_page(client, saml_org) == 403 and sso_page(client, globex) == 200

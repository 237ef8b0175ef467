"""Roster's 403, 404 and 500 pages in the admin's look, each saying what happened and where to
go, and the admin's page for someone signed in without admin access (issue 14, point 8)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import AdminMembershipFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
ADMIN_CSS = 'href="/static/admin/css/base.css"'


def test_404_is_styled_and_names_nothing(client, org, other_org):
    response = client.get("/nowhere/")
    html = response.content.decode()
    assert response.status_code == 404
    assert ADMIN_CSS in html and "Roster administration" in html
    assert "This page does not exist" in html
    assert 'id="error-login"' in html
    # An admin asking for another organization's object: the same page, naming nothing.
    client.force_login(AdminMembershipFactory(organization=other_org).user)
    response = client.get(reverse("admin:orgs_organization_change", args=[org.pk]))
    html = response.content.decode()
    assert response.status_code == 404 and "This page does not exist" in html
    assert str(org.pk) not in html and org.name not in html  # not even the path is repeated
    assert 'id="error-admin-home"' in html


def test_403_for_another_orgs_sso_page_is_styled(org, other_org):
    client = Client()
    client.force_login(AdminMembershipFactory(organization=other_org).user)
    response = client.get(reverse("admin:orgs_organization_sso_saml", args=[org.pk]))
    html = response.content.decode()
    assert response.status_code == 403
    assert ADMIN_CSS in html and "You don't have access to this page" in html
    assert "your admin access there was removed" in html
    assert org.name not in html and str(org.pk) not in html
    assert 'id="error-admin-home"' in html and 'id="error-account"' in html


def test_403_for_a_deactivated_admin(org):
    admin = AdminMembershipFactory(organization=org)
    AdminMembershipFactory(organization=org)  # so that deactivating the first is allowed
    admin.is_active = False
    admin.save()
    client = Client()
    client.force_login(admin.user)
    response = client.get(reverse("admin:orgs_organization_sso_saml", args=[org.pk]))
    assert response.status_code == 403
    assert "You are signed in as" in response.content.decode()


@pytest.mark.urls("tests.error_urls")
def test_500_is_styled_with_the_request_id(settings):
    client = Client(raise_request_exception=False)
    response = client.get("/broken/", HTTP_X_REQUEST_ID="req-500-abc")
    html = response.content.decode()
    assert response.status_code == 500
    assert ADMIN_CSS in html and "Something went wrong on our side" in html
    assert '<code id="error-request-id">req-500-abc</code>' in html
    assert "the database went away" not in html


def test_a_signed_in_member_gets_a_page_not_a_password_form(org):
    member = MembershipFactory(organization=org, user=UserFactory(email="grace@acme.example"))
    client = Client()
    client.force_login(member.user)
    response = client.get("/admin/", follow=True)
    html = response.content.decode()
    assert response.status_code == 403
    assert "The admin is for organization admins" in html
    assert "your account has no password here" in html  # SSO-made accounts have none
    assert 'name="password"' not in html
    assert 'href="/account/"' in html and 'id="error-sign-out"' in html


def test_the_login_page_speaks_to_sso_users(client):
    html = client.get("/admin/login/").content.decode()
    assert 'name="password"' in html
    assert "Signing in with single sign-on?" in html


def test_scim_errors_stay_scim_json(org):
    response = Client().get("/scim/v2/Nowhere", HTTP_AUTHORIZATION="Bearer nope")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/scim+json")

"""The account-setup gate holds everywhere: an admin told to create their encryption key first
(at their SAML sign-in, or at a password login) cannot skip it by opening the admin, and once
set up administers their organization. The demo's org admin is such an admin (issue 14, 5)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from orgs.models import Membership, MembershipStatus
from tests.factories import AdminMembershipFactory, UserFactory
from tests.sso.conftest import HOST
from tests.sso.keys import browser_like_setup

pytestmark = pytest.mark.django_db

SETUP = "/account/setup/"


def change_page(org) -> str:
    return reverse("admin:orgs_organization_change", args=[org.pk])


def test_an_invited_admin_signed_in_by_saml_cannot_skip_setup(client, saml_org, sign_in):
    AdminMembershipFactory(organization=saml_org, status=MembershipStatus.INVITED,
                           user=UserFactory(email="ada@acme.example"))
    assert sign_in(saml_org, "ada@acme.example")["Location"] == SETUP
    for page in ("/admin/", change_page(saml_org), reverse("admin:orgs_membership_changelist"),
                 reverse("admin:orgs_organization_sso_saml", args=[saml_org.pk])):
        response = client.get(page, HTTP_HOST=HOST, secure=True)
        assert (response.status_code, response["Location"]) == (302, SETUP), page
    page = client.get(SETUP, HTTP_HOST=HOST, secure=True).content.decode()
    assert "Before you can use\n<strong>Acme</strong>,\ncreate your encryption key" in page
    # Logging out is not gated.
    assert client.post("/admin/logout/", HTTP_HOST=HOST, secure=True).status_code == 200


def test_after_setup_the_admin_administers_their_organization(client, saml_org, sign_in):
    ada = AdminMembershipFactory(organization=saml_org, status=MembershipStatus.INVITED,
                                 user=UserFactory(email="ada@acme.example"))
    sign_in(saml_org, "ada@acme.example")
    fields = {k: v for k, v in browser_like_setup().items() if not k.startswith("_")}
    done = client.post(SETUP, fields, HTTP_HOST=HOST, secure=True)
    assert done["Location"] == change_page(saml_org)
    ada.refresh_from_db()
    assert ada.status == MembershipStatus.ACCEPTED
    assert client.get(change_page(saml_org), HTTP_HOST=HOST, secure=True).status_code == 200


def test_the_demo_org_admin_logs_in_and_is_sent_to_setup_first(client, tmp_path, monkeypatch):
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "demo-password-123")
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    out = out.getvalue()
    assert "Org admin of Acme" in out and "email:    ada@acme.example" in out
    ada = Membership.objects.get(email="ada@acme.example")
    assert (ada.role, ada.status, ada.user.is_staff, ada.user.is_superuser) == (
        "admin", "invited", True, False
    )
    response = client.post("/admin/login/?next=/admin/", {
        "username": "ada@acme.example", "password": "demo-password-123",
    }, HTTP_HOST=HOST, secure=True)
    assert response["Location"] == "/admin/"
    assert client.get("/admin/", HTTP_HOST=HOST, secure=True)["Location"] == SETUP
    fields = {k: v for k, v in browser_like_setup().items() if not k.startswith("_")}
    assert client.post(SETUP, fields, HTTP_HOST=HOST, secure=True).status_code == 302
    ada.refresh_from_db()
    assert ada.status == MembershipStatus.ACCEPTED
    index = client.get("/admin/", HTTP_HOST=HOST, secure=True)
    assert index.status_code == 200 and "Memberships" in index.content.decode()
    # Every other seeded member is an invitation too, until their own first sign-in.
    assert set(Membership.objects.exclude(email__in=["ada@acme.example", "admin@acme.example"])
               .values_list("status", flat=True)) == {MembershipStatus.INVITED}


def test_accepted_admins_and_operators_are_not_gated(client, org):
    admin = AdminMembershipFactory(organization=org).user
    client.force_login(admin)
    assert client.get("/admin/").status_code == 200
    operator = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(operator)
    assert client.get("/admin/").status_code == 200

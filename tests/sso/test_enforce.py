"""Enforce SAML SSO: the precondition, password logins refused, superuser break-glass."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import authenticate
from django.urls import reverse

from orgs.exceptions import PreconditionFailed
from orgs.models import AuditEvent
from sso import services
from sso.models import SamlConnection
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory
from tests.sso.conftest import HOST

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_member(saml_org):
    """Acme's admin: staff, with a password, account set up."""
    user = UserFactory(
        email="admin@okta.local", is_staff=True, password=DEFAULT_PASSWORD,
        setup_completed_at=dt.datetime.now(dt.UTC),
    )
    return MembershipFactory(organization=saml_org, user=user, role="admin")


def admin_password_login(client, email: str, password: str = DEFAULT_PASSWORD) -> bool:
    """Log in through the real admin login form; True when a session was made."""
    client.post(
        reverse("admin:login"), {"username": email, "password": password},
        HTTP_HOST=HOST, secure=True,
    )
    return "_auth_user_id" in client.session


def test_enforcing_is_refused_before_a_successful_sso_login(saml_org, actor):
    with pytest.raises(PreconditionFailed, match="Log in once with SAML SSO"):
        services.organization_set_sso_enforced(organization=saml_org, enforced=True, actor=actor)
    saml_org.refresh_from_db()
    assert not saml_org.sso_enforced


def test_a_refused_sso_login_does_not_count(saml_org, actor, sign_in):
    sign_in(saml_org, "stranger@okta.local")
    with pytest.raises(PreconditionFailed):
        services.organization_set_sso_enforced(organization=saml_org, enforced=True, actor=actor)


def test_enforcing_after_a_successful_sso_login(saml_org, admin_member, actor, sign_in):
    assert sign_in(saml_org, admin_member.user.email).status_code == 302

    services.organization_set_sso_enforced(organization=saml_org, enforced=True, actor=actor)

    saml_org.refresh_from_db()
    assert saml_org.sso_enforced
    assert AuditEvent.objects.filter(organization=saml_org, action="org.sso.enforced").count() == 1


def test_saving_new_settings_requires_a_new_sso_login(saml_org, admin_member, actor, sign_in, idp):
    sign_in(saml_org, admin_member.user.email)
    other = type(idp)(entity_id="http://www.okta.com/exkNEW")
    services.saml_connection_save(
        organization=saml_org, actor=actor, idp_entity_id=other.entity_id,
        idp_sso_url=idp.sso_url, idp_x509_cert=idp.keys.cert_pem,
    )
    with pytest.raises(PreconditionFailed):
        services.organization_set_sso_enforced(organization=saml_org, enforced=True, actor=actor)


def test_password_login_is_refused_once_enforced(client, saml_org, admin_member, actor, sign_in):
    assert admin_password_login(client, admin_member.user.email)  # works before enforcement
    client.logout()
    sign_in(saml_org, admin_member.user.email)
    client.logout()
    services.organization_set_sso_enforced(organization=saml_org, enforced=True, actor=actor)

    assert not admin_password_login(client, admin_member.user.email)
    assert authenticate(username=admin_member.user.email, password=DEFAULT_PASSWORD) is None
    refused = AuditEvent.objects.filter(
        organization=saml_org, action="auth.password_login.refused"
    )
    assert refused.count() == 2
    assert DEFAULT_PASSWORD not in str(list(refused.values("data")))
    # SAML still works, and keeps the session the ACS made.
    assert sign_in(saml_org, admin_member.user.email).status_code == 302
    admin_page = reverse("admin:orgs_organization_change", args=[saml_org.pk])
    assert client.get(admin_page, HTTP_HOST=HOST, secure=True).status_code == 200


def test_a_wrong_password_leaves_no_enforcement_trace(client, saml_org, admin_member):
    saml_org.sso_enforced = True
    saml_org.save()
    assert not admin_password_login(client, admin_member.user.email, "wrong-password")
    assert not AuditEvent.objects.filter(action="auth.password_login.refused").exists()


def test_deactivated_membership_does_not_block_password_elsewhere(saml_org, admin_member):
    saml_org.sso_enforced = True
    saml_org.save()
    admin_member.is_active = False
    admin_member.save()
    assert authenticate(username=admin_member.user.email, password=DEFAULT_PASSWORD) is not None


def test_superuser_keeps_break_glass_password_login(client, saml_org, admin_member, actor, sign_in):
    root = UserFactory(
        email="root@roster.local", is_staff=True, is_superuser=True, password=DEFAULT_PASSWORD
    )
    MembershipFactory(organization=saml_org, user=root, role="admin")
    sign_in(saml_org, admin_member.user.email)
    client.logout()
    services.organization_set_sso_enforced(organization=saml_org, enforced=True, actor=actor)

    assert admin_password_login(client, root.email)
    assert client.get(reverse("admin:index"), HTTP_HOST=HOST, secure=True).status_code == 200


def test_deactivating_saml_is_refused_while_enforced(saml_org, admin_member, actor, sign_in):
    sign_in(saml_org, admin_member.user.email)
    services.organization_set_sso_enforced(organization=saml_org, enforced=True, actor=actor)
    with pytest.raises(PreconditionFailed, match="Enforce SAML SSO"):
        services.saml_connection_deactivate(organization=saml_org, actor=actor)
    assert SamlConnection.objects.get(organization=saml_org).is_active

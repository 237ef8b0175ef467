"""Sessions made by the ACS: a fresh session key at every SAML login (no fixation), nothing
carried over from another user's session, and a logout that is a CSRF-checked POST."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import MembershipFactory, UserFactory
from tests.sso.conftest import HOST

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(saml_org):
    user = UserFactory(email="test.user@okta.local", setup_completed_at=dt.datetime.now(dt.UTC))
    return MembershipFactory(organization=saml_org, user=user)


def test_saml_login_rotates_the_session_key(client, saml_org, member, sign_in):
    """An attacker who planted a session cookie before the login cannot ride the session."""
    session = client.session
    session["planted"] = "by an attacker"
    session.save()
    planted_key = session.session_key
    client.cookies[settings.SESSION_COOKIE_NAME] = planted_key

    response = sign_in(saml_org, member.user.email)

    assert response.status_code == 302
    new_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert new_key != planted_key
    assert client.session["_auth_user_id"] == str(member.user.pk)
    # The planted key is dead: it opens no session.
    attacker = Client()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = planted_key
    page = attacker.get(reverse("account:home"), HTTP_HOST=HOST, secure=True)
    assert b"not signed in" in page.content


def test_saml_login_as_another_user_starts_a_clean_session(
    client, saml_org, member, sign_in
):
    other = UserFactory(email="other@okta.local", setup_completed_at=dt.datetime.now(dt.UTC))
    MembershipFactory(organization=saml_org, user=other)
    sign_in(saml_org, other.email)
    session = client.session
    session["left_behind"] = "other's data"
    session.save()

    sign_in(saml_org, member.user.email)

    assert client.session["_auth_user_id"] == str(member.user.pk)
    assert "left_behind" not in client.session


def test_sign_out_is_a_post_that_ends_the_session(client, saml_org, member, sign_in):
    sign_in(saml_org, member.user.email)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    logout = reverse("account:logout")

    assert client.get(logout, HTTP_HOST=HOST, secure=True).status_code == 405
    assert client.session["_auth_user_id"] == str(member.user.pk)

    response = client.post(logout, HTTP_HOST=HOST, secure=True)

    assert response.status_code == 302 and response["Location"] == reverse("account:home")
    assert "_auth_user_id" not in client.session
    reuse = Client()
    reuse.cookies[settings.SESSION_COOKIE_NAME] = key
    page = reuse.get(reverse("account:home"), HTTP_HOST=HOST, secure=True)
    assert b"not signed in" in page.content


def test_sign_out_needs_a_csrf_token(saml_org, member):
    """A cross-site form cannot sign a member out."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)
    response = client.post(reverse("account:logout"), HTTP_HOST=HOST, secure=True)
    assert response.status_code == 403
    assert client.session["_auth_user_id"] == str(member.user.pk)

"""Fixtures shared by the whole suite."""

from __future__ import annotations

import pytest

from orgs.audit import Actor
from tests.factories import (
    AdminMembershipFactory,
    OrganizationFactory,
    SamlConnectionFactory,
)


@pytest.fixture(autouse=True)
def fast_password_hasher(settings) -> None:
    """PBKDF2 at production strength makes every login cost ~0.3 s; tests use a fast hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def generous_saml_login_rate(settings) -> None:
    """The suite starts many SAML logins from one address within seconds (and a locmem cache
    keeps counters from test to test); the rate-limit tests set the limits they test."""
    settings.SAML_LOGIN_RATE_PER_ADDRESS = 100_000
    settings.SAML_LOGIN_RATE_PER_ORG = 100_000


@pytest.fixture
def actor() -> Actor:
    return Actor.operator("pytest")


@pytest.fixture
def org(db):
    """An Enterprise organization with an active SAML connection and SCIM enabled."""
    organization = OrganizationFactory(name="Acme", slug="acme", scim_enabled=True)
    SamlConnectionFactory(organization=organization)
    return organization


@pytest.fixture
def other_org(db):
    organization = OrganizationFactory(name="Globex", slug="globex", scim_enabled=True)
    SamlConnectionFactory(organization=organization)
    return organization


@pytest.fixture
def org_admin(org):
    """An active admin membership of ``org`` whose user is staff with a known password."""
    return AdminMembershipFactory(organization=org)

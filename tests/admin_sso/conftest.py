"""Fixtures for the SSO page's view tests: who is asking, and URLs of the pages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from orgs.models import Membership, Organization, Role
from tests.factories import DEFAULT_PASSWORD, AdminMembershipFactory, MembershipFactory, UserFactory


@pytest.fixture
def url() -> Callable[..., str]:
    """url("scim_tokens", org) → /admin/orgs/organization/<id>/sso/provisioning/tokens/"""

    def make(name: str, org: Organization, *args: object) -> str:
        return reverse(f"admin:orgs_organization_{name}", args=(org.pk, *args))

    return make


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client_(org_admin: Membership) -> Client:
    """A client logged in as an active admin (staff) of ``org``."""
    return client_for(org_admin.user)


@pytest.fixture
def superuser_client(db) -> Client:
    return client_for(UserFactory(is_staff=True, is_superuser=True, password=DEFAULT_PASSWORD))


@pytest.fixture
def other_admin_client(other_org: Organization) -> Client:
    """An active admin of another organization."""
    return client_for(AdminMembershipFactory(organization=other_org).user)


@pytest.fixture
def staff_member_client(org: Organization) -> Client:
    """A staff user who is only a plain member of ``org``."""
    user = UserFactory(is_staff=True, password=DEFAULT_PASSWORD)
    MembershipFactory(organization=org, user=user, role=Role.MEMBER)
    return client_for(user)

"""Uniqueness rules are enforced by the database itself, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from orgs.models import Group, GroupMember, GroupRoleMapping, Membership, User
from tests.factories import GroupFactory, MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _violates(create) -> bool:
    try:
        with transaction.atomic():
            create()
    except IntegrityError:
        return True
    return False


def test_user_email_unique_case_insensitively():
    User.objects.create(email="Jane@Example.com")
    assert _violates(lambda: User.objects.create(email="jane@example.COM"))
    assert User.objects.count() == 1


def test_membership_unique_per_org_and_user():
    m = MembershipFactory()
    assert _violates(lambda: Membership.objects.create(organization=m.organization, user=m.user))


def test_scim_user_name_unique_per_org_case_insensitively_but_not_across_orgs():
    m = MembershipFactory(scim_user_name="jane@example.com")
    assert _violates(
        lambda: Membership.objects.create(
            organization=m.organization, user=UserFactory(), scim_user_name="JANE@example.com"
        )
    )
    other = OrganizationFactory()
    Membership.objects.create(organization=other, user=m.user, scim_user_name="jane@example.com")
    # Blank userNames (manual members) do not collide with each other.
    Membership.objects.create(organization=m.organization, user=UserFactory(), scim_user_name="")
    Membership.objects.create(organization=m.organization, user=UserFactory(), scim_user_name="")


def test_group_display_name_unique_per_org_case_insensitively():
    g = GroupFactory(display_name="Engineering")
    assert _violates(
        lambda: Group.objects.create(organization=g.organization, display_name="ENGINEERING")
    )
    Group.objects.create(organization=OrganizationFactory(), display_name="engineering")


def test_group_member_unique():
    m = MembershipFactory()
    g = GroupFactory(organization=m.organization, members=[m])
    assert _violates(lambda: GroupMember.objects.create(group=g, membership=m))


def test_group_role_mapping_unique_per_org_case_insensitively():
    org = OrganizationFactory()
    GroupRoleMapping.objects.create(organization=org, idp_group_name="Admins", role="admin")
    assert _violates(
        lambda: GroupRoleMapping.objects.create(
            organization=org, idp_group_name="admins", role="member"
        )
    )

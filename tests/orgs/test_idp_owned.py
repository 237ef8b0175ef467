"""What the IdP pushed through SCIM is the IdP's: a provisioned member's userName, names,
emails and active (and a pushed group's name) are read-only in the admin with a note, and the
services refuse anyone but the SCIM token while provisioning is on. Members and groups pages
show sources, groups and member counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from orgs import services
from orgs.audit import Actor
from orgs.exceptions import PreconditionFailed
from orgs.models import (
    ActorKind,
    AuditEvent,
    GroupSource,
    Membership,
    MembershipSource,
)
from tests.factories import GroupFactory, MembershipFactory

pytestmark = pytest.mark.django_db

OKTA = Actor(kind=ActorKind.SCIM_TOKEN, id="1", label="SCIM token rst_scim_abcdef…")


@pytest.fixture
def provisioned(org):
    return MembershipFactory(organization=org, user=None, email="jane@okta.local",
                             given_name="Jane", family_name="Doe", source=MembershipSource.SCIM,
                             scim_user_name="jane@okta.local", external_id="00u1")


@pytest.fixture
def by_hand(org):
    return MembershipFactory(organization=org, user__email="sam@example.com",
                             source=MembershipSource.MANUAL)


@pytest.fixture
def admin_client_(client, org_admin):
    client.force_login(org_admin.user)
    return client


def change_url(obj) -> str:
    return reverse(f"admin:orgs_{obj._meta.model_name}_change", args=[obj.pk])


def form(member, **changes) -> dict[str, str]:
    return {"email": member.email, "given_name": member.given_name,
            "family_name": member.family_name, "role": member.role, **changes}


def test_a_provisioned_members_idp_fields_are_read_only_with_a_note(
    admin_client_, provisioned
):
    page = admin_client_.get(change_url(provisioned))
    html = page.content.decode()
    assert "Managed by your identity provider" in html
    assert "Okta manages these fields" in html
    for name in ("email", "given_name", "family_name", "is_active", "scim_user_name"):
        assert f'name="{name}"' not in html, name
    assert 'name="role"' in html
    # A crafted POST changes the role only.
    response = admin_client_.post(change_url(provisioned),
                                  form(provisioned, email="evil@example.com", role="admin"))
    assert response.status_code == 302
    provisioned.refresh_from_db()
    assert (provisioned.email, provisioned.role) == ("jane@okta.local", "admin")


def test_a_member_added_by_hand_can_be_edited(admin_client_, by_hand):
    html = admin_client_.get(change_url(by_hand)).content.decode()
    assert 'name="email"' in html and "Okta manages" not in html
    response = admin_client_.post(change_url(by_hand), form(by_hand, given_name="Samuel"))
    assert response.status_code == 302
    by_hand.refresh_from_db()
    assert by_hand.given_name == "Samuel"
    event = AuditEvent.objects.get(action="membership.updated")
    assert event.data == {"changes": {"given_name": [by_hand.user.first_name, "Samuel"]}}


def test_deactivate_and_reactivate_are_refused_for_provisioned_members(
    admin_client_, provisioned, by_hand
):
    changelist = reverse("admin:orgs_membership_changelist")
    response = admin_client_.post(changelist, {
        "action": "deactivate", "_selected_action": [provisioned.pk, by_hand.pk],
    }, follow=True)
    html = response.content.decode()
    assert "Deactivated 1 item(s)." in html
    assert ("Okta manages these fields (SCIM): whether jane@okta.local is active (SCIM&#x27;s "
            "active) come from your identity provider") in html
    assert "Deactivate them in Okta" in html
    provisioned.refresh_from_db()
    by_hand.refresh_from_db()
    assert provisioned.is_active and not by_hand.is_active


def test_the_scim_token_may_change_them_and_nobody_else(org, provisioned, actor):
    with pytest.raises(PreconditionFailed, match="Change them in Okta"):
        services.membership_update_profile(membership=provisioned, actor=actor,
                                           first_name="Janet")
    with pytest.raises(PreconditionFailed, match="Deactivate them in Okta"):
        services.membership_deactivate(membership=provisioned, actor=actor)
    services.membership_update_profile(membership=provisioned, actor=OKTA, first_name="Janet")
    services.membership_deactivate(membership=provisioned, actor=OKTA)
    provisioned.refresh_from_db()
    assert (provisioned.given_name, provisioned.is_active) == ("Janet", False)
    with pytest.raises(PreconditionFailed, match="Reactivate them in Okta"):
        services.membership_reactivate(membership=provisioned, actor=actor)


def test_with_scim_off_the_admin_may_change_them(admin_client_, org, provisioned, actor):
    org.scim_enabled = False
    org.save()
    html = admin_client_.get(change_url(provisioned)).content.decode()
    assert "Okta manages" not in html and 'name="email"' in html
    services.membership_deactivate(membership=provisioned, actor=actor)
    provisioned.refresh_from_db()
    assert not provisioned.is_active


def test_a_pushed_groups_name_is_read_only(admin_client_, org, provisioned, actor):
    pushed = GroupFactory(organization=org, display_name="Engineering", source=GroupSource.SCIM,
                          members=[provisioned])
    html = admin_client_.get(change_url(pushed)).content.decode()
    assert "Okta manages these fields" in html and 'name="display_name"' not in html
    with pytest.raises(PreconditionFailed, match="Rename it in Okta"):
        services.group_update(group=pushed, display_name="Eng", actor=actor)
    services.group_update(group=pushed, display_name="Eng", actor=OKTA)
    mine = GroupFactory(organization=org, display_name="Mine")
    response = admin_client_.post(change_url(mine), {"display_name": "Ours",
                                                     "group_members-TOTAL_FORMS": "0",
                                                     "group_members-INITIAL_FORMS": "0"})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.display_name == "Ours"


def test_lists_show_groups_sources_and_member_counts(
    admin_client_, org, provisioned, by_hand, django_assert_max_num_queries
):
    GroupFactory(organization=org, display_name="Engineering", source=GroupSource.SCIM,
                 members=[provisioned, by_hand])
    GroupFactory(organization=org, display_name="Design", members=[by_hand])
    for i in range(20):
        MembershipFactory(organization=org, source=MembershipSource.SCIM)
    with django_assert_max_num_queries(12):
        members = admin_client_.get(reverse("admin:orgs_membership_changelist"))
    html = members.content.decode()
    assert '<td class="field-groups_list">Design, Engineering</td>' in html
    assert '<td class="field-source">SCIM</td>' in html
    groups = admin_client_.get(reverse("admin:orgs_group_changelist")).content.decode()
    assert '<td class="field-member_count">2</td><td class="field-source">SCIM</td>' in groups
    assert '<td class="field-member_count">1</td><td class="field-source">Manual</td>' in groups
    assert Membership.objects.filter(organization=org).count() == 23

"""The admin through Django's test client: tenancy, and writes that go through the services."""

from __future__ import annotations

import pytest
from django.urls import reverse

from orgs.models import AuditEvent, Group, Membership, Organization, Role
from tests.factories import (
    DEFAULT_PASSWORD,
    AdminMembershipFactory,
    AuditEventFactory,
    GroupFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene():
    """Two organizations A and B, each with an admin, a member, a group and an audit event."""
    org_a = OrganizationFactory(name="Alpha", slug="alpha")
    org_b = OrganizationFactory(name="Beta", slug="beta")
    admin_a = AdminMembershipFactory(organization=org_a, user__email="admin@alpha.example")
    admin_b = AdminMembershipFactory(organization=org_b, user__email="admin@beta.example")
    member_a = MembershipFactory(organization=org_a, user__email="m@alpha.example")
    member_b = MembershipFactory(organization=org_b, user__email="m@beta.example")
    group_a = GroupFactory(organization=org_a, display_name="Alpha team", members=[member_a])
    group_b = GroupFactory(organization=org_b, display_name="Beta team", members=[member_b])
    event_a = AuditEventFactory(organization=org_a, action="alpha.thing")
    event_b = AuditEventFactory(organization=org_b, action="beta.thing")
    return dict(
        org_a=org_a, org_b=org_b, admin_a=admin_a, admin_b=admin_b, member_a=member_a,
        member_b=member_b, group_a=group_a, group_b=group_b, event_a=event_a, event_b=event_b,
    )


@pytest.fixture
def client_a(client, scene):
    assert client.login(username="ADMIN@alpha.example", password=DEFAULT_PASSWORD)
    return client


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def test_org_admin_lists_only_their_org(client_a, scene):
    for model, mine, theirs in [
        (Organization, "Alpha", "Beta"),
        (Membership, "m@alpha.example", "m@beta.example"),
        (Group, "Alpha team", "Beta team"),
        (AuditEvent, "alpha.thing", "beta.thing"),
    ]:
        body = client_a.get(changelist(model)).content.decode()
        assert mine in body, model
        assert theirs not in body, model


@pytest.mark.parametrize(
    "key", ["org_b", "member_b", "group_b", "event_b", "admin_b"]
)
def test_org_admin_gets_404_for_other_orgs_objects_by_url(client_a, scene, key):
    obj = scene[key]
    assert client_a.get(change_url(obj)).status_code == 404
    assert client_a.post(change_url(obj), {"role": "member", "name": "x"}).status_code == 404
    delete_url = change_url(obj).replace("/change/", "/delete/")
    assert client_a.post(delete_url, {"post": "yes"}).status_code == 404
    history_url = change_url(obj).replace("/change/", "/history/")
    assert client_a.get(history_url).status_code == 404


def test_org_admin_gets_no_account_pages_but_their_members_emails(client_a, scene):
    """An account is global and holds more than one organization may read (last login, keys,
    staff flags, other memberships): org admins see their members through Memberships."""
    for key in ("member_a", "member_b", "admin_a"):
        user = scene[key].user
        assert client_a.get(change_url(user)).status_code == 404
        assert client_a.get(change_url(user).replace("/change/", "/history/")).status_code == 404
    assert client_a.get(changelist(scene["member_a"].user)).status_code == 403
    assert "/admin/orgs/user/" not in client_a.get(reverse("admin:index")).content.decode()
    body = client_a.get(change_url(scene["member_a"])).content.decode()
    assert "m@alpha.example" in body and "/admin/orgs/user/" not in body
    body = client_a.get(change_url(scene["org_a"])).content.decode()
    assert "m@alpha.example" in body and "/admin/orgs/user/" not in body


def test_org_admin_cannot_change_users_or_orgs_plan(client_a, scene):
    org = scene["org_a"]
    response = client_a.post(
        change_url(org),
        {"name": "Alpha Inc", "plan": "free", "default_role": "member",
         "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
         "groups-TOTAL_FORMS": "0", "groups-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    org.refresh_from_db()
    assert org.name == "Alpha Inc"
    assert org.plan == "enterprise"  # read-only for org admins
    user = scene["member_a"].user
    response = client_a.post(change_url(user), {"email": "hijack@example.com"})
    assert response.status_code == 404  # no account pages for org admins at all
    user.refresh_from_db()
    assert user.email == "m@alpha.example"


def test_org_admin_cannot_add_member_to_other_org(client_a, scene):
    response = client_a.post(
        reverse("admin:orgs_membership_add"),
        {"organization": scene["org_b"].pk, "email": "new@example.com", "role": "member"},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Membership.objects.filter(user__email="new@example.com").exists()


def test_add_member_through_admin_uses_the_service(client_a, scene):
    response = client_a.post(
        reverse("admin:orgs_membership_add"),
        {"organization": scene["org_a"].pk, "email": "New@Example.com", "first_name": "N",
         "last_name": "P", "role": "member"},
    )
    assert response.status_code == 302
    m = Membership.objects.get(user__email__iexact="new@example.com")
    assert (m.organization, m.status) == (scene["org_a"], "invited")
    event = AuditEvent.objects.get(action="membership.added")
    assert (event.actor_kind, event.actor_label) == ("user", "admin@alpha.example")


def test_duplicate_member_is_a_form_error(client_a, scene):
    response = client_a.post(
        reverse("admin:orgs_membership_add"),
        {"organization": scene["org_a"].pk, "email": "M@ALPHA.example", "role": "member"},
    )
    assert response.status_code == 200
    assert "already a member" in response.content.decode()


def test_demoting_the_last_admin_is_a_form_error(client_a, scene):
    admin_a = scene["admin_a"]
    response = client_a.post(change_url(admin_a), {"role": "member"})
    assert response.status_code == 200
    assert "last active admin" in response.content.decode()
    admin_a.refresh_from_db()
    assert admin_a.role == Role.ADMIN
    assert not AuditEvent.objects.filter(action="membership.role_changed").exists()


def test_role_change_through_admin(client_a, scene):
    member = scene["member_a"]
    assert client_a.post(change_url(member), {"role": "admin"}).status_code == 302
    member.refresh_from_db()
    assert member.role == Role.ADMIN
    assert AuditEvent.objects.filter(action="membership.role_changed").count() == 1


def test_admin_actions_call_services(client_a, scene):
    member = scene["member_a"]
    url = changelist(Membership)
    client_a.post(url, {"action": "deactivate", "_selected_action": [member.pk]})
    member.refresh_from_db()
    assert not member.is_active
    assert list(member.groups.all()) == [scene["group_a"]]
    client_a.post(url, {"action": "reactivate", "_selected_action": [member.pk]})
    member.refresh_from_db()
    assert member.is_active
    response = client_a.post(
        url, {"action": "remove", "_selected_action": [scene["admin_a"].pk]}, follow=True
    )
    assert "last active admin" in response.content.decode()
    assert Membership.objects.filter(pk=scene["admin_a"].pk).exists()
    client_a.post(url, {"action": "remove", "_selected_action": [member.pk]})
    assert not Membership.objects.filter(pk=member.pk).exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"membership.deactivated", "membership.reactivated", "membership.removed"} <= actions


def test_actions_cannot_reach_other_orgs_rows(client_a, scene):
    other = scene["member_b"]
    client_a.post(changelist(Membership), {"action": "deactivate",
                                            "_selected_action": [other.pk]})
    other.refresh_from_db()
    assert other.is_active


def test_group_add_rename_delete_through_admin(client_a, scene):
    response = client_a.post(
        reverse("admin:orgs_group_add"),
        {"organization": scene["org_a"].pk, "display_name": "alpha TEAM"},
    )
    assert "already exists" in response.content.decode()
    group = scene["group_a"]
    response = client_a.post(
        change_url(group),
        {"display_name": "Alpha squad", "group_members-TOTAL_FORMS": "0",
         "group_members-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.display_name == "Alpha squad"
    delete_url = change_url(group).replace("/change/", "/delete/")
    client_a.post(delete_url, {"post": "yes"})
    assert not Group.objects.filter(pk=group.pk).exists()
    assert Membership.objects.filter(pk=scene["member_a"].pk).exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"group.updated", "group.deleted"} <= actions


def test_audit_log_is_read_only_and_searchable(client_a, scene):
    event = scene["event_a"]
    assert client_a.post(change_url(event), {"action": "x"}).status_code == 403
    assert client_a.get(reverse("admin:orgs_auditevent_add")).status_code == 403
    body = client_a.get(changelist(AuditEvent) + "?q=alpha").content.decode()
    assert "alpha.thing" in body
    body = client_a.get(changelist(AuditEvent) + "?action=alpha.thing").content.decode()
    assert "alpha.thing" in body


def test_org_admin_cannot_create_organizations(client_a):
    assert client_a.get(reverse("admin:orgs_organization_add")).status_code == 403


def test_superuser_sees_and_creates_everything(client, scene):
    UserFactory(email="root@example.com", is_staff=True, is_superuser=True,
                password=DEFAULT_PASSWORD)
    client.login(username="root@example.com", password=DEFAULT_PASSWORD)
    body = client.get(changelist(Membership)).content.decode()
    assert "m@alpha.example" in body and "m@beta.example" in body
    assert client.get(change_url(scene["member_b"])).status_code == 200
    response = client.post(
        reverse("admin:orgs_organization_add"),
        {"name": "Gamma", "slug": "", "plan": "enterprise", "default_role": "member"},
    )
    assert response.status_code == 302
    assert Organization.objects.filter(slug="gamma").exists()
    assert AuditEvent.objects.filter(action="org.created").exists()
    response = client.post(
        reverse("admin:orgs_organization_add"),
        {"name": "Gamma", "slug": "", "plan": "enterprise", "default_role": "member"},
    )
    assert "already exists" in response.content.decode()


def test_staff_without_admin_seat_and_deactivated_admin_see_nothing(client, scene):
    staff = UserFactory(email="staff@example.com", is_staff=True, password=DEFAULT_PASSWORD)
    MembershipFactory(organization=scene["org_a"], user=staff, role=Role.MEMBER)
    client.login(username="staff@example.com", password=DEFAULT_PASSWORD)
    assert client.get(changelist(Membership)).status_code == 403
    assert client.get(change_url(scene["member_a"])).status_code in (403, 404)
    body = client.get(reverse("admin:index")).content.decode()
    assert "Memberships" not in body

    scene["admin_a"].is_active = False
    scene["admin_a"].save()
    client.login(username="admin@alpha.example", password=DEFAULT_PASSWORD)
    assert client.get(changelist(Membership)).status_code == 403


def test_org_page_shows_members_and_groups(client_a, scene):
    body = client_a.get(change_url(scene["org_a"])).content.decode()
    assert "m@alpha.example" in body
    assert "Alpha team" in body


# --- issue 9: nothing of another organization in filters, forms or the index ----------------


@pytest.mark.parametrize("model", [Membership, Group, AuditEvent])
def test_organization_filter_offers_only_administered_orgs(client, client_a, scene, model):
    body = client_a.get(changelist(model)).content.decode()
    assert "By organization" not in body  # one organization: nothing to choose
    assert "Beta" not in body and str(scene["org_b"].pk) not in body

    gamma = OrganizationFactory(name="Gamma")
    AdminMembershipFactory(organization=gamma, user=scene["admin_a"].user)
    body = client_a.get(changelist(model)).content.decode()
    assert "By organization" in body and "Gamma" in body and "Alpha" in body
    assert "Beta" not in body and str(scene["org_b"].pk) not in body
    body = client_a.get(changelist(model) + "?_facets=True").content.decode()
    assert "Beta" not in body

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    body = client.get(changelist(model)).content.decode()
    assert "By organization" in body and "Beta" in body and "Gamma" in body


@pytest.mark.parametrize("model", [Membership, Group, AuditEvent])
def test_organization_filter_refuses_an_org_the_caller_does_not_administer(
    client_a, scene, model
):
    url = changelist(model)
    for org_id in (scene["org_b"].pk, "00000000-0000-0000-0000-000000000000", "junk"):
        response = client_a.get(url, {"organization__id__exact": org_id})
        assert response.status_code == 302 and response["Location"].endswith("?e=1")
    response = client_a.get(url, {"organization__id__exact": scene["org_a"].pk})
    assert response.status_code == 200
    assert "By organization" in response.content.decode()  # shown, since a link selected it


def test_add_forms_offer_only_administered_orgs(client_a, scene):
    for url in (reverse("admin:orgs_membership_add"), reverse("admin:orgs_group_add")):
        body = client_a.get(url).content.decode()
        assert "Alpha" in body
        assert "Beta" not in body and str(scene["org_b"].pk) not in body


def test_group_change_page_opens(client, client_a, scene):
    """It answered 500 (the form drops ``organization`` on change; the page still asked)."""
    response = client_a.get(change_url(scene["group_a"]))
    assert response.status_code == 200
    assert "Alpha team" in response.content.decode()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get(change_url(scene["group_b"])).status_code == 200


def test_recent_actions_name_only_objects_the_admin_may_open(client, scene):
    """Someone who also worked in Beta's admin sees only Alpha's objects among their recent
    actions while they administer Alpha alone."""
    user = scene["admin_a"].user
    seat_b = AdminMembershipFactory(organization=scene["org_b"], user=user)
    client.force_login(user)
    response = client.post(
        change_url(scene["group_b"]),
        {"display_name": "Beta crew", "group_members-TOTAL_FORMS": "0",
         "group_members-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 302
    client.post(change_url(scene["group_a"]),
                {"display_name": "Alpha crew", "group_members-TOTAL_FORMS": "0",
                 "group_members-INITIAL_FORMS": "0"})
    body = client.get(reverse("admin:index")).content.decode()
    assert "Beta crew" in body and "Alpha crew" in body

    seat_b.role = Role.MEMBER
    seat_b.save()
    client.force_login(user)
    body = client.get(reverse("admin:index")).content.decode()
    assert "Alpha crew" in body
    assert "Beta crew" not in body and str(scene["group_b"].pk) not in body


def _management_forms(client, url: str) -> dict[str, str]:
    """The inline formsets' management form fields, as the change page renders them."""
    page = client.get(url).content.decode()
    fields = {}
    for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
        for chunk in page.split(f'-{name}" value="')[1:]:
            prefix = page[:page.index(chunk)].rsplit('name="', 1)[1].rsplit("-", 1)[0]
            fields[f"{prefix}-{name}"] = chunk.split('"', 1)[0]
    return fields


def test_a_change_with_broken_inline_formsets_writes_nothing(client_a, scene):
    """Issue 11: the rename used to be committed (with its org.updated event) by the form's
    clean() while the page re-rendered with the formsets' errors."""
    org = scene["org_a"]
    url = change_url(org)
    data = {"name": "Alpha renamed", "default_role": "member"}
    response = client_a.post(url, data)  # no inline management forms: the formsets are broken
    assert response.status_code == 200
    assert "ManagementForm data is missing or has been tampered with" in response.content.decode()
    org.refresh_from_db()
    assert org.name == "Alpha"
    assert not AuditEvent.objects.filter(action="org.updated").exists()

    response = client_a.post(url, {**data, **_management_forms(client_a, url)})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.name == "Alpha renamed"
    assert AuditEvent.objects.filter(action="org.updated").count() == 1


def test_a_refusal_in_save_model_rolls_back_the_whole_page(client_a, scene):
    """The service refuses inside save_model: the admin's transaction rolls back, the page is
    shown again with the refusal as the form's error and the submitted values kept."""
    response = client_a.post(reverse("admin:orgs_group_add"), {
        "organization": scene["org_a"].pk, "display_name": "ALPHA TEAM"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "already exists" in body and 'value="ALPHA TEAM"' in body
    assert Group.objects.filter(organization=scene["org_a"]).count() == 1
    assert not AuditEvent.objects.filter(action="group.created").exists()

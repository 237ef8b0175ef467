"""Every orgs service: what it writes, what it refuses, and the audit event it leaves."""

from __future__ import annotations

import pytest
from django.core import mail

from orgs import services
from orgs.audit import Actor
from orgs.exceptions import (
    AlreadyExists,
    CrossOrganizationError,
    FeatureNotAvailable,
    InvalidInput,
    LastAdminError,
    PreconditionFailed,
)
from orgs.models import (
    AuditEvent,
    GroupMember,
    GroupRoleMapping,
    Membership,
    MembershipSource,
    Organization,
    Role,
    User,
)
from orgs.plans import Plan
from scim import services as scim_services
from tests.factories import (
    AdminMembershipFactory,
    GroupFactory,
    MembershipFactory,
    OrganizationFactory,
    SamlConnectionFactory,
    UserFactory,
)
from tests.jobs.worker import run_jobs

pytestmark = pytest.mark.django_db


def only_event(**filters) -> AuditEvent:
    events = AuditEvent.objects.filter(**filters)
    assert events.count() == 1, list(events.values_list("action", flat=True))
    return events.get()


# --- organizations -------------------------------------------------------------------------


def test_organization_create_writes_org_and_audit_event(actor):
    org = services.organization_create(name="Initech", plan=Plan.ENTERPRISE, actor=actor)
    assert (org.slug, org.plan, org.default_role) == ("initech", "enterprise", "member")
    event = only_event(action="org.created")
    assert event.organization == org
    assert (event.actor_kind, event.actor_label) == ("operator", "pytest")
    assert event.data == {"slug": "initech", "plan": "enterprise"}


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"name": ""}, InvalidInput),
        ({"name": "X", "plan": "gold"}, InvalidInput),
        ({"name": "X", "default_role": "owner"}, InvalidInput),
        ({"name": "!!!"}, InvalidInput),
    ],
)
def test_organization_create_rejects_bad_input(actor, kwargs, error):
    with pytest.raises(error):
        services.organization_create(actor=actor, **kwargs)
    assert Organization.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_organization_create_duplicate_slug(actor):
    services.organization_create(name="Acme", actor=actor)
    with pytest.raises(AlreadyExists):
        services.organization_create(name="ACME", actor=actor)
    assert Organization.objects.count() == 1


def test_scim_enable_needs_plan_and_active_saml(actor):
    org = OrganizationFactory(plan=Plan.FREE)
    with pytest.raises(FeatureNotAvailable):
        scim_services.organization_set_scim_enabled(organization=org, enabled=True, actor=actor)
    org.plan = Plan.ENTERPRISE
    org.save()
    with pytest.raises(PreconditionFailed):
        scim_services.organization_set_scim_enabled(organization=org, enabled=True, actor=actor)
    SamlConnectionFactory(organization=org, is_active=False)
    with pytest.raises(PreconditionFailed):
        scim_services.organization_set_scim_enabled(organization=org, enabled=True, actor=actor)
    assert not AuditEvent.objects.exists()

    org.saml_connection.is_active = True
    org.saml_connection.save()
    scim_services.organization_set_scim_enabled(organization=org, enabled=True, actor=actor)
    org.refresh_from_db()
    assert org.scim_enabled
    only_event(action="org.scim.enabled", organization=org)
    # Idempotent: a second enable writes nothing.
    scim_services.organization_set_scim_enabled(organization=org, enabled=True, actor=actor)
    assert AuditEvent.objects.count() == 1

    scim_services.organization_set_scim_enabled(organization=org, enabled=False, actor=actor)
    org.refresh_from_db()
    assert not org.scim_enabled
    only_event(action="org.scim.disabled")


def test_organization_update_settings_logs_the_diff(actor):
    org = OrganizationFactory(default_role=Role.MEMBER)
    services.organization_update_settings(
        organization=org, actor=actor, name="New name", default_role=Role.NO_ACCESS
    )
    org.refresh_from_db()
    assert (org.name, org.default_role) == ("New name", "no-access")
    event = only_event(action="org.updated")
    assert event.data["changes"]["default_role"] == ["member", "no-access"]
    with pytest.raises(InvalidInput):
        services.organization_update_settings(organization=org, actor=actor, scim_enabled=True)


# --- memberships ---------------------------------------------------------------------------


def test_membership_add_creates_user_invites_and_audits(actor, django_capture_on_commit_callbacks):
    org = OrganizationFactory(default_role=Role.NO_ACCESS)
    with django_capture_on_commit_callbacks(execute=True):
        m = services.membership_add(
            organization=org, email="  New.Person@Example.com ", first_name="New",
            last_name="Person", actor=actor,
        )
    assert mail.outbox == []  # sent by a background job, not inside the service
    assert run_jobs() == 1
    assert m.user.email == "New.Person@example.com"  # domain normalised
    assert (m.role, m.status, m.is_active, m.source) == ("no-access", "invited", True, "manual")
    assert not m.user.has_usable_password()
    event = only_event(action="membership.added")
    assert event.target_id == str(m.pk)
    assert event.data["email"] == "New.Person@example.com"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["New.Person@example.com"]
    assert org.name in mail.outbox[0].subject


def test_membership_add_by_hand_links_an_unused_account_case_insensitively(actor):
    user = UserFactory(email="jane@example.com", first_name="Jane", last_name="")
    org = OrganizationFactory()
    m = services.membership_add(
        organization=org, email="JANE@EXAMPLE.COM", first_name="Janet", last_name="Doe",
        actor=actor,
    )
    assert (m.user_id, m.email, m.given_name, m.family_name) == (
        user.pk, "JANE@example.com", "Janet", "Doe"
    )
    assert m.linked_at is not None
    assert User.objects.count() == 1
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Jane", "")  # the account's names are its own
    assert only_event(action="membership.added").data["linked"] is True


def test_membership_add_never_links_an_account_another_org_uses(actor):
    other = MembershipFactory(user__email="jane@example.com")
    org = OrganizationFactory()
    m = services.membership_add(organization=org, email="jane@example.com", actor=actor)
    assert m.user is None and m.linked_at is None and m.email == "jane@example.com"
    assert User.objects.count() == 1 and other.user.memberships.count() == 1


def test_scim_membership_add_is_an_invitation_keyed_by_user_name(actor):
    user = UserFactory(email="jane@example.com")
    org = OrganizationFactory()
    first = services.membership_add(
        organization=org, email="jane@example.com", source=MembershipSource.SCIM,
        scim_user_name="jane", external_id="00u1", actor=actor,
    )
    second = services.membership_add(
        organization=org, email="JANE@example.com", source=MembershipSource.SCIM,
        scim_user_name="adm-jane", actor=actor,
    )
    assert first.user is None and second.user is None
    assert user.memberships.count() == 0
    with pytest.raises(AlreadyExists, match="userName 'JANE'"):
        services.membership_add(
            organization=org, email="x@example.com", source=MembershipSource.SCIM,
            scim_user_name="JANE", actor=actor,
        )
    with pytest.raises(AlreadyExists, match="externalId '00U1'"):
        services.membership_add(
            organization=org, email="x@example.com", source=MembershipSource.SCIM,
            scim_user_name="x", external_id="00U1", actor=actor,
        )


def test_membership_add_refuses_duplicates_and_bad_email(actor):
    m = MembershipFactory(scim_user_name="a@example.com")
    with pytest.raises(AlreadyExists):
        services.membership_add(organization=m.organization, email=m.user.email, actor=actor)
    with pytest.raises(AlreadyExists):
        services.membership_add(
            organization=m.organization, email="other@example.com",
            scim_user_name="A@EXAMPLE.COM", actor=actor,
        )
    with pytest.raises(InvalidInput):
        services.membership_add(organization=m.organization, email="not-an-email", actor=actor)
    with pytest.raises(InvalidInput):
        services.membership_add(
            organization=m.organization, email="x@example.com", role="owner", actor=actor
        )
    assert Membership.objects.count() == 1
    assert not User.objects.filter(email__in=["other@example.com", "x@example.com"]).exists()
    assert AuditEvent.objects.count() == 0


def test_membership_update_profile_writes_only_changes(actor):
    m = MembershipFactory(scim_user_name="a@example.com", user__first_name="A", given_name="A")
    services.membership_update_profile(membership=m, first_name="A", actor=actor)
    assert AuditEvent.objects.count() == 0
    services.membership_update_profile(
        membership=m, first_name="Ann", external_id="00u1", scim_user_name="ann@example.com",
        actor=actor,
    )
    m.refresh_from_db()
    assert (m.given_name, m.external_id, m.scim_user_name) == ("Ann", "00u1", "ann@example.com")
    assert m.user.first_name == "A"  # the account is not the organization's to rename
    event = only_event(action="membership.updated")
    assert set(event.data["changes"]) == {"given_name", "external_id", "scim_user_name"}
    other = MembershipFactory(organization=m.organization, scim_user_name="bob@example.com")
    with pytest.raises(AlreadyExists):
        services.membership_update_profile(
            membership=other, scim_user_name="ANN@example.com", actor=actor
        )


def test_role_change_and_last_admin_guard(actor):
    admin = AdminMembershipFactory()
    member = MembershipFactory(organization=admin.organization)
    with pytest.raises(LastAdminError):
        services.membership_change_role(membership=admin, role=Role.MEMBER, actor=actor)
    services.membership_change_role(membership=member, role=Role.ADMIN, actor=actor)
    only_event(action="membership.role_changed", target_id=str(member.pk))
    # Now there are two admins: one may step down.
    services.membership_change_role(membership=admin, role=Role.MEMBER, actor=actor)
    admin.refresh_from_db()
    assert admin.role == Role.MEMBER
    event = only_event(action="membership.role_changed", target_id=str(admin.pk))
    assert event.data == {"from": "admin", "to": "member"}


def test_inactive_admins_do_not_count_for_the_guard(actor):
    admin = AdminMembershipFactory()
    AdminMembershipFactory(organization=admin.organization, is_active=False)
    with pytest.raises(LastAdminError):
        services.membership_remove(membership=admin, actor=actor)
    assert Membership.objects.filter(pk=admin.pk).exists()


def test_deactivate_keeps_everything_and_reactivate_restores(actor):
    m = MembershipFactory(role=Role.ADMIN)
    g = GroupFactory(organization=m.organization, members=[m])
    services.membership_deactivate(membership=m, actor=actor)
    m.refresh_from_db()
    assert not m.is_active
    assert m.role == Role.ADMIN
    assert list(g.members.all()) == [m]
    only_event(action="membership.deactivated")
    services.membership_deactivate(membership=m, actor=actor)  # idempotent
    assert AuditEvent.objects.count() == 1
    services.membership_reactivate(membership=m, actor=actor)
    m.refresh_from_db()
    assert m.is_active
    only_event(action="membership.reactivated")


def test_accept_marks_membership_accepted(actor):
    m = MembershipFactory(status="invited")
    services.membership_accept(membership=m, actor=actor)
    m.refresh_from_db()
    assert m.status == "accepted"
    only_event(action="membership.accepted")


def test_remove_drops_membership_and_groups_keeps_user(actor):
    AdminMembershipFactory()
    m = MembershipFactory()
    g = GroupFactory(organization=m.organization, members=[m])
    services.membership_remove(membership=m, actor=actor)
    assert not Membership.objects.filter(pk=m.pk).exists()
    assert not GroupMember.objects.filter(group=g).exists()
    assert User.objects.filter(pk=m.user_id).exists()
    event = only_event(action="membership.removed")
    assert event.data == {"email": m.user.email}


# --- groups --------------------------------------------------------------------------------


def test_group_create_rename_delete(actor):
    org = OrganizationFactory()
    g = services.group_create(organization=org, display_name=" Engineering ", actor=actor)
    assert g.display_name == "Engineering"
    only_event(action="group.created")
    with pytest.raises(AlreadyExists):
        services.group_create(organization=org, display_name="engineering", actor=actor)
    with pytest.raises(InvalidInput):
        services.group_create(organization=org, display_name="  ", actor=actor)
    other = services.group_create(organization=org, display_name="Design", actor=actor)
    with pytest.raises(AlreadyExists):
        services.group_update(group=other, display_name="ENGINEERING", actor=actor)
    services.group_update(group=g, display_name="Platform", actor=actor)
    g.refresh_from_db()
    assert g.display_name == "Platform"
    assert only_event(action="group.updated").data == {
        "changes": {"display_name": ["Engineering", "Platform"]}
    }
    m = MembershipFactory(organization=org)
    services.group_change_members(group=g, add=[m], actor=actor)
    services.group_delete(group=g, actor=actor)
    assert Membership.objects.filter(pk=m.pk).exists()
    only_event(action="group.deleted")


def test_group_membership_changes_are_idempotent_and_org_checked(actor):
    g = GroupFactory()
    a, b = MembershipFactory.create_batch(2, organization=g.organization)
    stranger = MembershipFactory()
    added, removed = services.group_change_members(group=g, add=[a, b], actor=actor)
    assert added == {a.pk, b.pk} and removed == set()
    assert only_event(action="group.members_changed").data["added"] == sorted(
        [str(a.pk), str(b.pk)]
    )
    # Adding again and removing an absent member change nothing and log nothing.
    assert services.group_change_members(group=g, add=[a], remove=[stranger.pk], actor=actor) == (
        set(), set()
    )
    assert AuditEvent.objects.count() == 1
    with pytest.raises(CrossOrganizationError):
        services.group_change_members(group=g, add=[stranger], actor=actor)
    with pytest.raises(CrossOrganizationError):
        services.group_set_members(group=g, memberships=[a, stranger], actor=actor)
    assert set(g.members.all()) == {a, b}
    added, removed = services.group_set_members(group=g, memberships=[b.pk], actor=actor)
    assert (added, removed) == (set(), {a.pk})
    assert set(g.members.all()) == {b}


def test_member_changes_bump_the_groups_last_modified(actor):
    g = GroupFactory()
    before = g.updated_at
    m = MembershipFactory(organization=g.organization)
    services.group_change_members(group=g, add=[m], actor=actor)
    g.refresh_from_db()
    assert g.updated_at > before
    stamp = g.updated_at
    services.group_change_members(group=g, add=[m], actor=actor)  # no change, no bump
    g.refresh_from_db()
    assert g.updated_at == stamp


def test_group_role_mappings(actor):
    org = OrganizationFactory(default_role=Role.MEMBER)
    services.group_role_mapping_set(
        organization=org, idp_group_name="Roster Admins", role=Role.ADMIN, actor=actor
    )
    services.group_role_mapping_set(
        organization=org, idp_group_name="roster admins", role=Role.ADMIN, actor=actor
    )
    assert GroupRoleMapping.objects.count() == 1
    only_event(action="org.group_role_mapping.set")
    assert services.role_for_new_member(organization=org, group_names=["ROSTER ADMINS"]) == (
        "admin"
    )
    assert services.role_for_new_member(organization=org, group_names=["Other"]) == "member"
    with pytest.raises(InvalidInput):
        services.group_role_mapping_set(
            organization=org, idp_group_name="x", role="owner", actor=actor
        )
    services.group_role_mapping_delete(mapping=GroupRoleMapping.objects.get(), actor=actor)
    assert not GroupRoleMapping.objects.exists()
    only_event(action="org.group_role_mapping.deleted")


def test_actor_from_request_records_ip_agent_and_request_id(rf):
    user = UserFactory()
    request = rf.get("/", HTTP_USER_AGENT="Okta SCIM Client 1.0.0", HTTP_X_REQUEST_ID="req-1",
                     REMOTE_ADDR="10.1.2.3")
    actor = Actor.for_user(user, request)
    org = OrganizationFactory()
    services.group_create(organization=org, display_name="G", actor=actor)
    event = only_event(action="group.created")
    assert (event.actor_kind, event.actor_id, event.actor_label) == (
        "user", str(user.pk), user.email
    )
    assert (event.ip, event.user_agent, event.request_id) == (
        "10.1.2.3", "Okta SCIM Client 1.0.0", "req-1"
    )

"""The member count the database keeps (``OrganizationMemberCount``, by triggers) equals a real
COUNT of the organization's members after every kind of write: services, bulk inserts,
cascades, deletes of members, accounts and organizations."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from orgs import services
from orgs.models import Membership, Organization, OrganizationMemberCount, User
from orgs.selectors import membership_list_state
from scim.services.provisioning import IdpUser, scim_user_create, scim_user_delete
from tests.factories import MembershipFactory, OrganizationFactory
from tests.orgs.migration_helpers import migrate_to

TRIGGERS = {"orgs_organization_count_insert", "orgs_organization_count_delete",
            "orgs_membership_count_insert", "orgs_membership_count_delete",
            "orgs_membership_count_move"}


def kept(org: Organization) -> int | None:
    row = OrganizationMemberCount.objects.filter(pk=org.pk).first()
    return row.members if row else None


def real(org: Organization) -> int:
    return Membership.objects.filter(organization=org).count()


def assert_exact(*orgs: Organization) -> None:
    for org in orgs:
        assert kept(org) == real(org), org
        assert membership_list_state(organization_id=org.pk)[0] == real(org)


def installed_triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db
def test_the_triggers_are_installed():
    """A later migration that remakes orgs_membership or orgs_organization on SQLite (Django
    copies the table to alter it) drops their triggers: it must install them again."""
    assert installed_triggers() >= TRIGGERS


@pytest.mark.django_db
def test_an_organization_starts_at_zero(actor):
    org = services.organization_create(name="Initech", actor=actor)
    assert kept(org) == 0
    assert membership_list_state(organization_id=org.pk)[0] == 0


@pytest.mark.django_db
def test_service_adds_scim_creates_and_removes(org, other_org, actor):
    for i in range(3):
        services.membership_add(organization=org, email=f"hand{i}@example.com", actor=actor)
    created = [scim_user_create(organization=org, actor=actor,
                                user=IdpUser(user_name=f"okta{i}@example.com",
                                             email=f"okta{i}@example.com"))
               for i in range(4)]
    services.membership_add(organization=other_org, email="else@example.com", actor=actor)
    assert (kept(org), kept(other_org)) == (7, 1)
    scim_user_delete(membership=created[0], actor=actor)
    services.membership_remove(membership=created[1], actor=actor)
    assert kept(org) == 5
    assert_exact(org, other_org)


@pytest.mark.django_db
def test_bulk_inserts_and_bulk_deletes(org, other_org, actor):
    Membership.objects.bulk_create(
        [Membership(organization=org, email=f"b{i}@example.com") for i in range(250)]
        + [Membership(organization=other_org, email=f"o{i}@example.com") for i in range(20)]
    )
    assert (kept(org), kept(other_org)) == (250, 20)
    Membership.objects.filter(organization=org, email__startswith="b1").delete()
    assert_exact(org, other_org)


@pytest.mark.django_db
def test_seed_scale(actor):
    org = OrganizationFactory(slug="big")
    services.members_seed(organization=org, members=120, actor=actor, groups=1, group_size=10,
                          batch=50)
    assert kept(org) == 120
    assert_exact(org)


@pytest.mark.django_db
def test_deleting_accounts_cascades_to_their_memberships(org, other_org):
    both = MembershipFactory(organization=org)
    MembershipFactory(organization=other_org, user=both.user)
    MembershipFactory(organization=org)
    User.objects.filter(pk=both.user_id).delete()
    assert (kept(org), kept(other_org)) == (1, 0)
    assert_exact(org, other_org)


@pytest.mark.django_db
def test_deleting_an_organization_takes_its_count_along(org, other_org):
    for _ in range(3):
        MembershipFactory(organization=org)
    MembershipFactory(organization=other_org)
    org.delete()
    assert not OrganizationMemberCount.objects.filter(pk=org.pk).exists()
    assert_exact(other_org)
    empty = OrganizationFactory()
    Organization.objects.filter(pk=empty.pk).delete()
    assert not OrganizationMemberCount.objects.filter(pk=empty.pk).exists()


@pytest.mark.django_db
def test_a_member_moved_to_another_organization_is_counted_there(org, other_org):
    """Nothing moves members today; a raw UPDATE that did would still be counted."""
    moved = MembershipFactory(organization=org)
    MembershipFactory(organization=org)
    Membership.objects.filter(pk=moved.pk).update(organization=other_org)
    Membership.objects.filter(organization=org).update(email="same@example.com")  # stays
    assert (kept(org), kept(other_org)) == (1, 1)


@pytest.mark.django_db
def test_without_its_row_the_count_is_a_real_count(org):
    MembershipFactory(organization=org)
    OrganizationMemberCount.objects.filter(pk=org.pk).delete()
    assert membership_list_state(organization_id=org.pk)[0] == 1


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_truncating_the_members_sets_the_counts_to_zero(org):
    MembershipFactory(organization=org)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no foreign key check left pending
        cursor.execute("TRUNCATE orgs_membership CASCADE")
    assert kept(org) == 0


# --- the migration -------------------------------------------------------------------------

BEFORE = [("orgs", "0006_group_source")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_counts_existing_members_and_goes_back():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = migrate_to(BEFORE)
    assert not TRIGGERS & installed_triggers()
    Organization_ = old.get_model("orgs", "Organization")
    Membership_ = old.get_model("orgs", "Membership")
    acme = Organization_.objects.create(name="Acme", slug="acme")
    Organization_.objects.create(name="Empty", slug="empty")
    Membership_.objects.bulk_create(
        [Membership_(organization=acme, email=f"m{i}@example.com") for i in range(5)])

    migrate_to(latest)
    assert installed_triggers() >= TRIGGERS
    counts = dict(OrganizationMemberCount.objects.values_list("organization__slug", "members"))
    assert counts == {"acme": 5, "empty": 0}
    Membership.objects.filter(organization_id=acme.pk).first().delete()
    assert membership_list_state(organization_id=acme.pk)[0] == 4


# --- the list version under concurrent inserts ------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers")
def test_a_member_committed_after_a_later_one_moves_the_list_version():
    """Two inserts whose commits come in the other order than their members: the one that
    locks the count second sees the other's member after its own, and bumps the version the
    remembered list positions are kept under (orgs.list_positions)."""
    org = OrganizationFactory()
    MembershipFactory(organization=org)
    version = OrganizationMemberCount.objects.get(pk=org.pk).list_version
    now = timezone.now()
    late_inserted, done = threading.Event(), threading.Event()

    def later_member_committed_first() -> None:
        try:
            with transaction.atomic():
                Membership.objects.bulk_create([Membership(
                    organization=org, email="late@example.com", email_key="late@example.com",
                    created_at=now + dt.timedelta(seconds=1))])  # holds the count's row lock
                late_inserted.set()
                deadline = time.monotonic() + 10
                with connection.cursor() as cursor:
                    while time.monotonic() < deadline:  # until the other insert waits on it
                        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
                        if cursor.fetchone()[0]:
                            break
                        time.sleep(0.01)
        finally:
            connection.close()
            done.set()

    thread = threading.Thread(target=later_member_committed_first)
    thread.start()
    assert late_inserted.wait(10)
    Membership.objects.bulk_create([Membership(
        organization=org, email="early@example.com", email_key="early@example.com",
        created_at=now)])  # before "late": blocks on the count until that one commits
    thread.join(10)
    assert done.is_set()
    assert OrganizationMemberCount.objects.get(pk=org.pk).list_version > version
    assert kept(org) == real(org) == 3

"""Migration 0003 (members keyed by the IdP) on a database filled the way the code before it
filled one: every membership keeps its id, account and keys, and gets the account's email and
names as its own; a profile changed later than its member carries its time over."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.orgs.migration_helpers import migrate_to

BEFORE = [("orgs", "0002_cache_table"), ("scim", "0002_scim_user_profile"),
          ("sso", "0001_initial")]


@pytest.mark.django_db(transaction=True)
def test_existing_memberships_keep_ids_accounts_and_keys():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = migrate_to(BEFORE)
    User = old.get_model("orgs", "User")
    Organization = old.get_model("orgs", "Organization")
    Membership = old.get_model("orgs", "Membership")
    Profile = old.get_model("scim", "ScimUserProfile")
    acme = Organization.objects.create(name="Acme", slug="acme")
    globex = Organization.objects.create(name="Globex", slug="globex")
    jane = User.objects.create(
        email="Jane@Example.com", first_name="Jane", last_name="Doe", password="!",
        public_key="PUB", encrypted_private_key="WRAPPED", key_derivation={"name": "PBKDF2"},
        setup_completed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    created = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    ids = [uuid.uuid4(), uuid.uuid4()]
    Membership.objects.create(id=ids[0], organization=acme, user=jane, scim_user_name="jane",
                              external_id="00u1", source="scim", created_at=created)
    Membership.objects.create(id=ids[1], organization=globex, user=jane, created_at=created)
    before = {m.pk: m.updated_at for m in Membership.objects.all()}
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    Profile.objects.create(membership_id=ids[0], display_name="Jane D")
    Profile.objects.filter(membership_id=ids[0]).update(updated_at=later)

    new = migrate_to(latest)
    Membership = new.get_model("orgs", "Membership")
    User = new.get_model("orgs", "User")
    rows = {m.pk: m for m in Membership.objects.select_related("user")}
    assert set(rows) == set(ids)
    for m in rows.values():
        assert m.user.pk == jane.pk
        assert (m.email, m.given_name, m.family_name) == ("Jane@Example.com", "Jane", "Doe")
        assert m.linked_at == created
    assert rows[ids[0]].scim_user_name == "jane" and rows[ids[0]].external_id == "00u1"
    assert rows[ids[0]].updated_at == later
    assert rows[ids[1]].updated_at == before[ids[1]]  # meta.lastModified unchanged
    account = User.objects.get(pk=jane.pk)
    assert (account.public_key, account.encrypted_private_key, account.key_derivation) == (
        "PUB", "WRAPPED", {"name": "PBKDF2"}
    )


@pytest.mark.django_db(transaction=True)
def test_duplicate_external_ids_stop_the_migration_with_a_clear_message():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = migrate_to(BEFORE)
    User = old.get_model("orgs", "User")
    Organization = old.get_model("orgs", "Organization")
    Membership = old.get_model("orgs", "Membership")
    acme = Organization.objects.create(name="Acme", slug="acme")
    for i, external_id in enumerate(["00uA", "00ua"]):
        user = User.objects.create(email=f"p{i}@example.com", password="!")
        Membership.objects.create(organization=acme, user=user, external_id=external_id)
    try:
        with pytest.raises(RuntimeError, match="Clear the duplicates' externalId"):
            migrate_to(latest)
    finally:
        Membership.objects.filter(external_id="00ua").update(external_id="00ub")
        migrate_to(latest)

"""Migrations orgs 0005 and scim 0005 (lookup keys) on a database filled by the code before
them: every member, group and SCIM profile gets its folded keys, a profile's list of
addresses its ScimUserEmail rows, and the lookups find them as before."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.orgs.migration_helpers import migrate_to

BEFORE = [("orgs", "0003_membership_identity"), ("scim", "0003_member_last_modified"),
          ("sso", "0001_initial")]


@pytest.mark.django_db(transaction=True)
def test_existing_rows_get_their_lookup_keys():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = migrate_to(BEFORE)
    Organization = old.get_model("orgs", "Organization")
    Membership = old.get_model("orgs", "Membership")
    Group = old.get_model("orgs", "Group")
    Profile = old.get_model("scim", "ScimUserProfile")
    acme = Organization.objects.create(name="Acme", slug="acme")
    okta = Membership.objects.create(organization=acme, email="Jane@Example.com",
                                     scim_user_name="JANE.Doe@Example.com", external_id="00uAbC")
    manual = Membership.objects.create(organization=acme, email="Bob@Example.com")
    Profile.objects.create(membership_id=okta.pk, display_name="Jane DOE", attributes={
        "emails": [{"value": "Jane@Example.com", "type": "work", "primary": True},
                   {"value": "J.Doe@Home.example", "type": "home"}, {"type": "other"}]})
    Group.objects.create(organization=acme, display_name="Engineering ÉQUIPE")

    new = migrate_to(latest)
    Membership = new.get_model("orgs", "Membership")
    okta, manual = Membership.objects.get(pk=okta.pk), Membership.objects.get(pk=manual.pk)
    assert (okta.user_name_key, okta.email_key, okta.external_id_key) == (
        "jane.doe@example.com", "jane@example.com", "00uabc")
    assert (manual.user_name_key, manual.email_key, manual.external_id_key) == (
        "bob@example.com", "bob@example.com", None)
    assert new.get_model("orgs", "Group").objects.get().display_name_key == "engineering équipe"
    assert new.get_model("scim", "ScimUserProfile").objects.get().display_name_key == "jane doe"
    assert sorted(new.get_model("scim", "ScimUserEmail").objects.values_list(
        "membership_id", "value_key")) == [(okta.pk, "j.doe@home.example"),
                                           (okta.pk, "jane@example.com")]

"""The lookup keys follow their columns whichever way a row is written (orgs.lookup_keys),
and the uniqueness rules they carry hold in the database."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from orgs.models import Group, Membership
from orgs.services.updates import model_update

pytestmark = pytest.mark.django_db


def test_keys_follow_save_update_fields_and_bulk_writes(org):
    m = Membership.objects.create(organization=org, email="Jane@Example.com")
    assert (m.user_name_key, m.email_key, m.external_id_key) == (
        "jane@example.com", "jane@example.com", None)
    model_update(m, {"scim_user_name": "JDoe", "external_id": "00uX"})  # update_fields
    m.refresh_from_db()
    assert (m.user_name_key, m.external_id_key) == ("jdoe", "00ux")
    made = Membership.objects.bulk_create([Membership(organization=org, email="A@B.example",
                                                      scim_user_name="Ä@B.example")])
    assert Membership.objects.get(pk=made[0].pk).user_name_key == "ä@b.example"
    made[0].email = "New@B.example"
    Membership.objects.bulk_update(made, ["email"])
    assert Membership.objects.get(pk=made[0].pk).email_key == "new@b.example"
    g = Group.objects.create(organization=org, display_name="Platform TEAM")
    assert g.display_name_key == "platform team"


def test_the_keys_carry_the_uniqueness_rules(org, other_org):
    Membership.objects.create(organization=org, email="a@x.example", scim_user_name="Jane",
                              external_id="00uA")
    # Members added by hand (no userName) and members without externalId never clash.
    Membership.objects.create(organization=org, email="jane@x.example")
    Membership.objects.create(organization=org, email="b@x.example", scim_user_name="bob")
    Membership.objects.create(organization=other_org, email="a@x.example",
                              scim_user_name="JANE", external_id="00ua")
    for fields in ({"scim_user_name": "JANE"}, {"external_id": "00ua"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Membership.objects.create(organization=org, email="c@x.example", **fields)
    Group.objects.create(organization=org, display_name="Eng")
    with pytest.raises(IntegrityError), transaction.atomic():
        Group.objects.create(organization=org, display_name="ENG")

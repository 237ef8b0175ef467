"""Lookup keys (issue 13): the folded userName, email, externalId and group displayName are
stored in columns of their own, indexed, so every IdP lookup and uniqueness check is a plain
indexed equality at any directory size (``orgs.lookup_keys``).

The keys of the existing rows are filled in (``orgs.text.fold``, the fold the SCIM filters
use) before the new unique constraints replace the functional ``Lower(...)`` ones; the rule
(userName and externalId unique per organization, group names too, ignoring case) is the same.
The list indexes gain ``id``, the tiebreak of the (created_at, id) order lists page in.
"""

from django.db import migrations, models

BATCH = 2000


def _fold(value):
    return value.lower()  # orgs.text.fold, frozen here


def fill_keys(apps, schema_editor):
    Membership = apps.get_model("orgs", "Membership")
    Group = apps.get_model("orgs", "Group")
    batch = []
    members = Membership.objects.only("id", "scim_user_name", "email", "external_id")
    for m in members.order_by("pk").iterator(chunk_size=BATCH):
        m.user_name_key = _fold(m.scim_user_name or m.email)
        m.email_key = _fold(m.email)
        m.external_id_key = _fold(m.external_id) or None
        batch.append(m)
        if len(batch) >= BATCH:
            Membership.objects.bulk_update(batch, ["user_name_key", "email_key", "external_id_key"])
            batch = []
    if batch:
        Membership.objects.bulk_update(batch, ["user_name_key", "email_key", "external_id_key"])
    groups = list(Group.objects.only("id", "display_name"))
    for g in groups:
        g.display_name_key = _fold(g.display_name)
    Group.objects.bulk_update(groups, ["display_name_key"], batch_size=BATCH)


class Migration(migrations.Migration):

    dependencies = [
        ("orgs", "0004_scim_rate_budget"),
    ]

    operations = [
        migrations.AddField(
            model_name="group",
            name="display_name_key",
            field=models.TextField(default="", editable=False),
        ),
        migrations.AddField(
            model_name="membership",
            name="email_key",
            field=models.TextField(default="", editable=False),
        ),
        migrations.AddField(
            model_name="membership",
            name="external_id_key",
            field=models.TextField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="membership",
            name="user_name_key",
            field=models.TextField(default="", editable=False),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="group",
            name="orgs_group_org_name_ci_unique",
        ),
        migrations.RemoveConstraint(
            model_name="membership",
            name="orgs_membership_org_scim_user_name_ci_unique",
        ),
        migrations.RemoveConstraint(
            model_name="membership",
            name="orgs_membership_org_external_id_ci_unique",
        ),
        migrations.RemoveIndex(
            model_name="group",
            name="orgs_group_organiz_7670d2_idx",
        ),
        migrations.RemoveIndex(
            model_name="membership",
            name="orgs_member_organiz_440cc8_idx",
        ),
        migrations.AddIndex(
            model_name="group",
            index=models.Index(fields=["organization", "created_at", "id"],
                               name="orgs_groups_org_created_id"),
        ),
        migrations.AddIndex(
            model_name="group",
            index=models.Index(fields=["organization", "external_id"],
                               name="orgs_groups_org_external_id"),
        ),
        migrations.AddIndex(
            model_name="membership",
            index=models.Index(fields=["organization", "created_at", "id"],
                               name="orgs_members_org_created_id"),
        ),
        migrations.AddIndex(
            model_name="membership",
            index=models.Index(fields=["organization", "user_name_key"],
                               name="orgs_members_org_user_name"),
        ),
        migrations.AddIndex(
            model_name="membership",
            index=models.Index(fields=["organization", "email_key"],
                               name="orgs_members_org_email"),
        ),
        migrations.AddConstraint(
            model_name="group",
            constraint=models.UniqueConstraint(fields=("organization", "display_name_key"),
                                               name="orgs_group_org_name_unique"),
        ),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.UniqueConstraint(
                condition=~models.Q(scim_user_name=""), fields=("organization", "user_name_key"),
                name="orgs_membership_org_user_name_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.UniqueConstraint(fields=("organization", "external_id_key"),
                                               name="orgs_membership_org_external_id_unique"),
        ),
    ]

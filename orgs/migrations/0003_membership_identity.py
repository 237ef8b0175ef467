"""Members keyed by the IdP, not by email (issue 10).

Each membership gets the email and names its organization knows it by (copied from the linked
account, so nothing an admin or IdP sees changes), and ``linked_at`` (the creation time for the
existing rows: they were all linked when created). ``user`` becomes optional: new SCIM members
are invitations until their first verified sign-in. Ids, accounts and keys are untouched.
"""

from django.db import migrations, models
from django.db.models import Count
from django.db.models.functions import Lower
import django.db.models.deletion


def copy_identity(apps, schema_editor):
    Membership = apps.get_model("orgs", "Membership")
    batch = []
    for m in Membership.objects.select_related("user").only(
        "id", "created_at", "user__email", "user__first_name", "user__last_name"
    ).iterator(chunk_size=2000):
        m.email = m.user.email
        m.given_name = m.user.first_name
        m.family_name = m.user.last_name
        m.linked_at = m.created_at
        batch.append(m)
        if len(batch) >= 2000:
            Membership.objects.bulk_update(batch, ["email", "given_name", "family_name", "linked_at"])
            batch = []
    if batch:
        Membership.objects.bulk_update(batch, ["email", "given_name", "family_name", "linked_at"])


def refuse_duplicate_external_ids(apps, schema_editor):
    Membership = apps.get_model("orgs", "Membership")
    clashes = list(
        Membership.objects.exclude(external_id="")
        .values("organization_id", key=Lower("external_id"))
        .annotate(n=Count("id")).filter(n__gt=1)[:5]
    )
    if clashes:
        raise RuntimeError(
            "Cannot make externalId unique per organization: these organizations have members "
            f"sharing one ({clashes}). Clear the duplicates' externalId, then migrate again."
        )


class Migration(migrations.Migration):

    dependencies = [
        ("orgs", "0002_cache_table"),
    ]

    operations = [
        migrations.AddField(
            model_name="membership",
            name="email",
            field=models.EmailField(default="", max_length=254, verbose_name="email address"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="membership",
            name="given_name",
            field=models.CharField(blank=True, max_length=150, verbose_name="first name"),
        ),
        migrations.AddField(
            model_name="membership",
            name="family_name",
            field=models.CharField(blank=True, max_length=150, verbose_name="last name"),
        ),
        migrations.AddField(
            model_name="membership",
            name="linked_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(copy_identity, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="membership",
            name="user",
            field=models.ForeignKey(
                blank=True, help_text="The account linked at the member's first verified sign-in.",
                null=True, on_delete=django.db.models.deletion.CASCADE,
                related_name="memberships", to="orgs.user",
            ),
        ),
        migrations.RunPython(refuse_duplicate_external_ids, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.UniqueConstraint(
                models.F("organization"), Lower("external_id"),
                condition=models.Q(("external_id", ""), _negated=True),
                name="orgs_membership_org_external_id_ci_unique",
            ),
        ),
        migrations.AddIndex(
            model_name="membership",
            index=models.Index(fields=["organization", "updated_at"], name="orgs_member_organiz_a6d18b_idx"),
        ),
        migrations.AddIndex(
            model_name="group",
            index=models.Index(fields=["organization", "updated_at"], name="orgs_group_organiz_49e57e_idx"),
        ),
    ]

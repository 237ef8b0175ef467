"""Lookup keys of the SCIM profile (issue 13): the folded displayName, indexed, and one
``ScimUserEmail`` row per distinct address of a profile's ``emails`` list, so that
``displayName eq`` and ``emails.value eq`` are index lookups. Filled in for existing profiles.
"""

import django.db.models.deletion
from django.db import migrations, models

BATCH = 2000


def _fold(value):
    return value.lower()  # orgs.text.fold, frozen here


def email_keys(attributes):
    """scim.services.profiles.email_keys, frozen here."""
    emails = attributes.get("emails") if isinstance(attributes, dict) else None
    if not isinstance(emails, list):
        return set()
    return {_fold(e["value"]) for e in emails
            if isinstance(e, dict) and isinstance(e.get("value"), str) and e["value"]}


def fill_keys(apps, schema_editor):
    Profile = apps.get_model("scim", "ScimUserProfile")
    Email = apps.get_model("scim", "ScimUserEmail")
    profiles, emails = [], []
    for p in Profile.objects.only("pk", "display_name", "attributes").iterator(chunk_size=BATCH):
        p.display_name_key = _fold(p.display_name)
        profiles.append(p)
        emails += [Email(membership_id=p.pk, value_key=k) for k in email_keys(p.attributes)]
        if len(profiles) >= BATCH:
            Profile.objects.bulk_update(profiles, ["display_name_key"])
            Email.objects.bulk_create(emails)
            profiles, emails = [], []
    Profile.objects.bulk_update(profiles, ["display_name_key"])
    Email.objects.bulk_create(emails)


class Migration(migrations.Migration):

    dependencies = [
        ("orgs", "0005_lookup_keys"),
        ("scim", "0004_request_log"),
    ]

    operations = [
        migrations.CreateModel(
            name="ScimUserEmail",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("value_key", models.TextField()),
                ("membership", models.ForeignKey(
                    on_delete=django.db.models.deletion.CASCADE, related_name="scim_emails",
                    to="orgs.membership", db_index=False)),
            ],
            options={"verbose_name": "SCIM user email"},
        ),
        migrations.AddField(
            model_name="scimuserprofile",
            name="display_name_key",
            field=models.TextField(default="", editable=False),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="scimuserprofile",
            index=models.Index(fields=["display_name_key"], name="scim_profile_display_name"),
        ),
        migrations.AddIndex(
            model_name="scimuseremail",
            index=models.Index(fields=["value_key"], name="scim_useremail_value"),
        ),
        migrations.AddConstraint(
            model_name="scimuseremail",
            constraint=models.UniqueConstraint(fields=("membership", "value_key"),
                                               name="scim_useremail_unique"),
        ),
    ]

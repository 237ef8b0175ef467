"""Groups say where they came from (``Group.source``), as members do: groups an IdP pushed
through SCIM are found by their ``scim.group.created`` audit event."""

from django.db import migrations, models


def mark_pushed_groups(apps, schema_editor):
    Group = apps.get_model("orgs", "Group")
    AuditEvent = apps.get_model("orgs", "AuditEvent")
    pushed = AuditEvent.objects.filter(action="scim.group.created", target_kind="group")
    ids = list(pushed.values_list("target_id", flat=True).distinct())
    for start in range(0, len(ids), 500):
        Group.objects.filter(pk__in=ids[start:start + 500]).update(source="scim")


class Migration(migrations.Migration):

    dependencies = [
        ("orgs", "0005_lookup_keys"),
    ]

    operations = [
        migrations.AddField(
            model_name="group",
            name="source",
            field=models.CharField(choices=[("manual", "Manual"), ("scim", "SCIM")],
                                   default="manual", max_length=20),
        ),
        migrations.RunPython(mark_pushed_groups, migrations.RunPython.noop),
    ]

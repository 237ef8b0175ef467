"""meta.lastModified is now the member's own updated_at (filters compare it through an index);
profile changes made before stamped only the profile, so carry the later time over."""

from django.db import migrations
from django.db.models import F


def carry_over(apps, schema_editor):
    Profile = apps.get_model("scim", "ScimUserProfile")
    Membership = apps.get_model("orgs", "Membership")
    later = Profile.objects.filter(updated_at__gt=F("membership__updated_at"))
    for membership_id, updated_at in later.values_list("membership_id", "updated_at").iterator():
        Membership.objects.filter(pk=membership_id).update(updated_at=updated_at)


class Migration(migrations.Migration):

    dependencies = [
        ("scim", "0002_scim_user_profile"),
        ("orgs", "0003_membership_identity"),
    ]

    operations = [migrations.RunPython(carry_over, migrations.RunPython.noop)]

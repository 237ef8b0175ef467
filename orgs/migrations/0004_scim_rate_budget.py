"""Each organization's SCIM rate limit (requests per minute per token), 6000 by default."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("orgs", "0003_membership_identity"),
    ]

    operations = [
        migrations.AddField(
            model_name="organization",
            name="scim_rate_limit_per_minute",
            field=models.PositiveIntegerField(
                default=6000, verbose_name="SCIM rate limit (requests per minute per token)"
            ),
        ),
    ]

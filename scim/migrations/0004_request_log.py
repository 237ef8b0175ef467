"""The SCIM request log: one row per request to /scim/v2, failures included (issue 12)."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orgs', '0003_membership_identity'),
        ('scim', '0003_member_last_modified'),
    ]

    operations = [
        migrations.CreateModel(
            name='ScimRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('request_id', models.CharField(blank=True, max_length=64)),
                ('method', models.CharField(max_length=10)),
                ('path', models.CharField(max_length=1000)),
                ('query', models.CharField(blank=True, max_length=2000)),
                ('resource', models.CharField(choices=[('Users', 'Users'), ('Groups', 'Groups'), ('other', 'Other')], max_length=10)),
                ('status', models.PositiveSmallIntegerField()),
                ('duration_ms', models.PositiveIntegerField()),
                ('token_prefix', models.CharField(blank=True, max_length=16)),
                ('authorization', models.CharField(blank=True, max_length=200)),
                ('client_ip', models.GenericIPAddressField(blank=True, null=True)),
                ('user_agent', models.CharField(blank=True, max_length=400)),
                ('error_type', models.CharField(blank=True, max_length=40)),
                ('error_detail', models.CharField(blank=True, max_length=1000)),
                ('request_body', models.TextField(blank=True)),
                ('request_truncated', models.BooleanField(default=False)),
                ('response_body', models.TextField(blank=True)),
                ('response_truncated', models.BooleanField(default=False)),
                ('organization', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='orgs.organization')),
            ],
            options={
                'verbose_name': 'SCIM request',
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['organization', '-created_at'], name='scim_request_org_time'), models.Index(fields=['created_at'], name='scim_request_time')],
            },
        ),
    ]

"""Organizations: their settings, and the switches that have their own services."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers.common import StrictSerializer, TextField
from orgs.models import Organization, Role
from orgs.plans import Plan


class OrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "plan", "default_role", "sso_jit_provisioning",
                  "scim_enabled", "sso_enforced", "created_at", "updated_at"]
        read_only_fields = fields


class OrganizationUpdateSerializer(StrictSerializer):
    """A PATCH: only the fields sent change. ``plan`` is billing: operators only."""

    name = TextField(max_length=200, required=False)
    plan = serializers.ChoiceField(choices=Plan.choices, required=False)
    default_role = serializers.ChoiceField(choices=Role.choices, required=False)
    sso_jit_provisioning = serializers.BooleanField(required=False)
    scim_enabled = serializers.BooleanField(
        required=False, help_text="Needs the Enterprise plan and an active SAML connection.")
    sso_enforced = serializers.BooleanField(
        required=False,
        help_text="Needs a successful SAML login since the SAML settings were last saved.")

"""SCIM tokens: listed by id and prefix, never by value; the value only in a create answer."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers.common import StrictSerializer, TextField
from scim.models import ScimToken
from scim.services import MAX_TTL_DAYS


class ScimTokenSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=["active", "expired", "revoked"])
    created_by = serializers.EmailField(source="created_by.email", allow_null=True,
                                        default=None)

    class Meta:
        model = ScimToken
        fields = ["id", "description", "prefix", "status", "ttl_days", "expires_at",
                  "created_at", "created_by", "last_used_at", "revoked_at"]
        read_only_fields = fields


class ScimTokenCreateSerializer(StrictSerializer):
    """A new SCIM token for the organization's IdP."""

    description = TextField(max_length=200, required=False, allow_blank=True, default="")
    ttl_days = serializers.IntegerField(min_value=0, max_value=MAX_TTL_DAYS, default=365,
                                        help_text="0: never expires.")


class ScimTokenCreatedSerializer(ScimTokenSerializer):
    token = serializers.CharField(
        source="plaintext", help_text="The bearer token for the IdP. Shown this once only.")
    scim_url = serializers.CharField(help_text="The SCIM base URL for the IdP.")

    class Meta(ScimTokenSerializer.Meta):
        fields = [*ScimTokenSerializer.Meta.fields, "token", "scim_url"]
        read_only_fields = fields

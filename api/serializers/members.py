"""Members of an organization (``Membership``): reading, filtering, and the role."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers.common import StrictSerializer, TextField
from orgs.models import Membership, MembershipSource, MembershipStatus, Role


class GroupRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    display_name = serializers.CharField()


class MemberSerializer(serializers.ModelSerializer):
    first_name = serializers.CharField(source="given_name")
    last_name = serializers.CharField(source="family_name")
    groups = GroupRefSerializer(many=True)

    class Meta:
        model = Membership
        fields = ["id", "email", "first_name", "last_name", "role", "status", "is_active",
                  "source", "scim_user_name", "external_id", "linked_at", "groups",
                  "created_at", "updated_at"]
        read_only_fields = fields


class MemberFilterSerializer(serializers.Serializer):
    """Query parameters of the member list; all optional, combined with AND."""

    role = serializers.ChoiceField(choices=Role.choices, required=False)
    status = serializers.ChoiceField(choices=MembershipStatus.choices, required=False)
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)
    source = serializers.ChoiceField(choices=MembershipSource.choices, required=False)
    email = TextField(required=False, allow_blank=True, max_length=254,
                      help_text="Exact, ignoring case.")
    q = TextField(required=False, allow_blank=True, max_length=254,
                  help_text="Part of the email, a name, the SCIM userName or the externalId.")


class MemberUpdateSerializer(StrictSerializer):
    """The member's new role."""

    role = serializers.ChoiceField(choices=Role.choices)

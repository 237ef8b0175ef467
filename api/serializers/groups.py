"""Groups with their members."""

from __future__ import annotations

from rest_framework import serializers

from orgs.models import Group


class GroupMemberSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="membership_id", help_text="The member's id.")
    email = serializers.EmailField(source="membership.email")


class GroupSerializer(serializers.ModelSerializer):
    members = GroupMemberSerializer(many=True, source="group_members")
    member_count = serializers.SerializerMethodField()

    class Meta:
        model = Group
        fields = ["id", "display_name", "external_id", "member_count", "members",
                  "created_at", "updated_at"]
        read_only_fields = fields

    def get_member_count(self, group: Group) -> int:
        return len(group.group_members.all())  # prefetched by the selector

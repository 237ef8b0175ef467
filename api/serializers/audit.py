"""Audit events, as a SIEM reads them."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers.common import TextField
from orgs.models import ActorKind, AuditEvent


class ActorSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(source="actor_kind", choices=ActorKind.choices)
    id = serializers.CharField(source="actor_id")
    label = serializers.CharField(source="actor_label")


class TargetSerializer(serializers.Serializer):
    kind = serializers.CharField(source="target_kind")
    id = serializers.CharField(source="target_id")
    label = serializers.CharField(source="target_label")


class AuditEventSerializer(serializers.ModelSerializer):
    actor = ActorSerializer(source="*")
    target = TargetSerializer(source="*")
    data = serializers.DictField(help_text="What changed; never a secret.")

    class Meta:
        model = AuditEvent
        fields = ["id", "created_at", "action", "actor", "target", "data", "ip", "user_agent",
                  "request_id"]
        read_only_fields = fields


class AuditEventFilterSerializer(serializers.Serializer):
    """Query parameters of the audit log; all optional, combined with AND."""

    action = TextField(required=False, allow_blank=True, max_length=100,
                       help_text="Actions starting with this, e.g. `scim.` or `membership.`.")
    actor = TextField(required=False, allow_blank=True, max_length=255,
                      help_text="Part of the actor's label.")
    actor_kind = serializers.ChoiceField(choices=ActorKind.choices, required=False)
    target_kind = TextField(required=False, allow_blank=True, max_length=50)
    target_id = TextField(required=False, allow_blank=True, max_length=64)
    request_id = TextField(required=False, allow_blank=True, max_length=64)
    created_after = serializers.DateTimeField(required=False, help_text="Inclusive.")
    created_before = serializers.DateTimeField(required=False, help_text="Inclusive.")

"""SCIM request records (the SCIM request log), as a SIEM or an admin reads them."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers.common import TextField
from scim.models import ScimRequest, ScimRequestResource


class ScimRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScimRequest
        fields = ["id", "created_at", "request_id", "method", "path", "query", "resource",
                  "status", "duration_ms", "token_prefix", "client_ip", "user_agent",
                  "error_type", "error_detail", "request_body", "request_truncated",
                  "response_body", "response_truncated"]
        read_only_fields = fields
        extra_kwargs = {
            "request_body": {"help_text": "As received, with passwords and tokens masked."},
            "response_body": {"help_text": "As answered, with tokens masked."},
        }


class ScimRequestFilterSerializer(serializers.Serializer):
    """Query parameters of the SCIM request log; all optional, combined with AND."""

    status = serializers.RegexField(r"^(?:[1-5]xx|[1-5][0-9]{2})$", required=False,
                                    help_text="A status (`409`) or a class (`4xx`).")
    method = serializers.ChoiceField(choices=["GET", "POST", "PUT", "PATCH", "DELETE"],
                                     required=False)
    resource = serializers.ChoiceField(choices=ScimRequestResource.choices, required=False)
    request_id = TextField(required=False, allow_blank=True, max_length=64)
    created_after = serializers.DateTimeField(required=False, help_text="Inclusive.")

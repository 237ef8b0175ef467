"""The organization's SAML connection: what to paste into the IdP, and the IdP's settings."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers.common import StrictSerializer
from sso.models import SamlProvider


class CertificateSerializer(serializers.Serializer):
    subject = serializers.CharField()
    not_after = serializers.DateTimeField()
    sha256_fingerprint = serializers.CharField()


class SamlConnectionSerializer(serializers.Serializer):
    """The connection as the SAML tab shows it. Before any settings are saved the IdP fields
    are empty and ``configured_at`` is null; ``sp_*`` are always what to paste into the IdP."""

    sp_entity_id = serializers.CharField(help_text="Okta: Audience URI (SP Entity ID).")
    sp_acs_url = serializers.CharField(help_text="Okta: Single sign-on URL.")
    provider = serializers.ChoiceField(choices=SamlProvider.choices)
    idp_entity_id = serializers.CharField(allow_blank=True)
    idp_sso_url = serializers.CharField(allow_blank=True)
    idp_x509_cert = serializers.CharField(allow_blank=True)
    certificate = CertificateSerializer(allow_null=True)
    is_active = serializers.BooleanField()
    configured_at = serializers.DateTimeField(allow_null=True)
    last_login_at = serializers.DateTimeField(allow_null=True)
    enforce_ready = serializers.BooleanField(
        help_text="A SAML login succeeded since the settings were saved: SSO can be enforced.")


class SamlConnectionUpdateSerializer(StrictSerializer):
    """A PATCH. IdP settings sent are merged with the saved ones and validated together (as the
    SAML tab's form); ``is_active`` activates or deactivates the connection afterwards."""

    provider = serializers.ChoiceField(choices=SamlProvider.choices, required=False)
    idp_entity_id = serializers.CharField(max_length=500, required=False, allow_blank=True)
    idp_sso_url = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    idp_x509_cert = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
    idp_metadata_xml = serializers.CharField(
        max_length=200_000, required=False, write_only=True,
        help_text="The IdP's metadata XML instead of the three idp_* fields: it fills them.")
    is_active = serializers.BooleanField(required=False)

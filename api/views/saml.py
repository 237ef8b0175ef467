"""/api/v1/organizations/{org}/saml-connection/: read the SAML connection; change its IdP
settings and activate or deactivate it, with the SAML tab's services and so its refusals (a plan
without SAML SSO, settings that cannot work, deactivating while SSO is enforced)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import field_error
from api.schema import errors
from api.serializers.saml import SamlConnectionSerializer, SamlConnectionUpdateSerializer
from api.views.base import ApiView
from orgs.models import Organization
from sso import saml, services
from sso.models import SamlProvider
from sso.saml import CertificateError, certificate_check
from sso.selectors import saml_connection_for, sso_enforcement_ready

SETTINGS = ("idp_entity_id", "idp_sso_url", "idp_x509_cert")


def connection_document(organization: Organization) -> dict[str, Any]:
    conn = saml_connection_for(organization=organization)
    certificate = None
    if conn is not None and conn.idp_x509_cert:
        try:
            info = certificate_check(conn.idp_x509_cert)
        except CertificateError:
            info = None  # expired since it was saved: the SAML tab says so, here it is null
        if info is not None:
            certificate = {"subject": info.subject, "not_after": info.not_after,
                           "sha256_fingerprint": info.sha256_fingerprint}
    return {
        "sp_entity_id": saml.sp_entity_id(organization),
        "sp_acs_url": saml.acs_url(organization),
        "provider": conn.provider if conn else SamlProvider.OKTA,
        "idp_entity_id": conn.idp_entity_id if conn else "",
        "idp_sso_url": conn.idp_sso_url if conn else "",
        "idp_x509_cert": conn.idp_x509_cert if conn else "",
        "certificate": certificate,
        "is_active": bool(conn and conn.is_active),
        "configured_at": conn.configured_at if conn else None,
        "last_login_at": conn.last_login_at if conn else None,
        "enforce_ready": bool(conn and sso_enforcement_ready(conn)),
    }


class SamlConnectionView(ApiView):
    serializer_class = SamlConnectionSerializer

    def answer(self) -> Response:
        return Response(SamlConnectionSerializer(connection_document(self.organization)).data)

    @extend_schema(operation_id="saml_connection_retrieve", summary="Get the SAML connection",
                   responses={200: SamlConnectionSerializer, **errors(404)})
    def get(self, request: Request, org: str) -> Response:
        return self.answer()

    @extend_schema(
        operation_id="saml_connection_update", summary="Change the SAML connection",
        description="IdP settings sent are merged with the saved ones and checked together "
                    "(`sso.saml.configured`); saving them again requires a new successful SAML "
                    "login before SSO can be enforced. `is_active` then activates or "
                    "deactivates the connection (`sso.saml.activated`/`deactivated`); "
                    "deactivating while SSO is enforced is refused (409). All or nothing.",
        request=SamlConnectionUpdateSerializer,
        responses={200: SamlConnectionSerializer, **errors(400, 404, 409, 413, 415)},
    )
    def patch(self, request: Request, org: str) -> Response:
        serializer = SamlConnectionUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "idp_metadata_xml" in data:
            try:
                data |= saml.idp_metadata_parse(data.pop("idp_metadata_xml"))
            except ValueError as exc:
                raise field_error("idp_metadata_xml", str(exc)) from None
        organization, actor = self.organization, self.actor()
        with transaction.atomic():
            if any(k in data for k in (*SETTINGS, "provider")):
                saved = connection_document(organization)
                services.saml_connection_save(
                    organization=organization, actor=actor,
                    provider=data.get("provider", saved["provider"]),
                    **{k: data.get(k, saved[k]) for k in SETTINGS},
                )
            if data.get("is_active") is True:
                services.saml_connection_activate(organization=organization, actor=actor)
            elif data.get("is_active") is False and connection_document(organization)["is_active"]:
                services.saml_connection_deactivate(organization=organization, actor=actor)
        return self.answer()

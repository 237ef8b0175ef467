"""/api/v1/organizations/: the organizations the caller administers, and their settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import field_error
from api.permissions import organizations_in_scope
from api.schema import errors
from api.serializers.organizations import OrganizationSerializer, OrganizationUpdateSerializer
from api.views.base import ApiView
from orgs import services as org_services
from orgs.audit import Actor
from orgs.models import Organization
from scim import services as scim_services
from sso import services as sso_services

# The settings organization_update_settings changes; the others have a service each.
PLAIN_SETTINGS = ("name", "plan", "default_role", "sso_jit_provisioning")
Switch = Callable[[Organization, Any, Actor], Any]
# Each switch with its own rules and audit event, applied in this order after the plain
# settings, all in one transaction (a refusal changes nothing). A new one (e.g. the SCIM rate
# budget) is a serializer field plus one entry here.
SWITCHES: dict[str, Switch] = {
    "sso_enforced": lambda org, value, actor: sso_services.organization_set_sso_enforced(
        organization=org, enforced=value, actor=actor),
    "scim_enabled": lambda org, value, actor: scim_services.organization_set_scim_enabled(
        organization=org, enabled=value, actor=actor),
}


class OrganizationListView(ApiView):
    serializer_class = OrganizationSerializer

    def get_queryset(self) -> Any:
        return organizations_in_scope(self.request)

    @extend_schema(operation_id="organizations_list", summary="List organizations",
                   description="The organizations the caller administers (an operator: all).",
                   responses={200: OrganizationSerializer(many=True), **errors(400)})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class OrganizationView(ApiView):
    serializer_class = OrganizationSerializer

    @extend_schema(operation_id="organizations_retrieve", summary="Get an organization",
                   responses={200: OrganizationSerializer, **errors(404)})
    def get(self, request: Request, org: str) -> Response:
        return Response(OrganizationSerializer(self.organization).data)

    @extend_schema(
        operation_id="organizations_update", summary="Change an organization's settings",
        description="Only the fields sent change, all or none: a refused switch (SCIM without "
                    "an active SAML connection, SSO enforcement before a successful SAML "
                    "login, a plan without the feature) leaves every field as it was. Each "
                    "change is audited as in the admin (`org.updated`, `org.scim.enabled`, "
                    "`org.sso.enforced` …).",
        request=OrganizationUpdateSerializer,
        responses={200: OrganizationSerializer, **errors(400, 404, 409, 413, 415)},
    )
    def patch(self, request: Request, org: str) -> Response:
        serializer = OrganizationUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        organization = self.organization
        if "plan" in data and data["plan"] != organization.plan and (
            not request.user.is_superuser
        ):
            raise field_error("plan", "Only Roster operators change the plan.", status=403,
                              code="permission_denied")
        actor = self.actor()
        with transaction.atomic():
            plain = {k: data[k] for k in PLAIN_SETTINGS if k in data}
            if plain:
                organization = org_services.organization_update_settings(
                    organization=organization, actor=actor, **plain)
            for name, switch in SWITCHES.items():
                if name in data:
                    switch(organization, data[name], actor)
        organization.refresh_from_db()
        return Response(OrganizationSerializer(organization).data)

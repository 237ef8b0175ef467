"""/api/v1/organizations/{org}/scim-tokens/: list, create (the token is in that answer only),
revoke. The same services as the Provisioning tab, audited the same way."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api.pagination import NewestFirstPagination
from api.schema import errors
from api.serializers.scim_tokens import (
    ScimTokenCreatedSerializer,
    ScimTokenCreateSerializer,
    ScimTokenSerializer,
)
from api.views.base import ApiView, parse_int_id
from scim import services as scim_services
from scim.models import ScimToken
from scim.schemas import base_url

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def tokens_of(organization: object) -> object:
    return ScimToken.objects.filter(organization=organization).select_related("created_by")


def shown_once(token: ScimToken, plaintext: str, *, status: int) -> Response:
    """A token with its value: the only answer that carries it, never cached."""
    token.plaintext = plaintext  # for the serializer only; never stored
    token.scim_url = base_url()
    return Response(ScimTokenCreatedSerializer(token).data, status=status, headers=NO_STORE)


class ScimTokenListView(ApiView):
    serializer_class = ScimTokenSerializer
    pagination_class = NewestFirstPagination

    @extend_schema(operation_id="scim_tokens_list", summary="List SCIM tokens",
                   description="Newest first; by id and prefix, never by value.",
                   responses={200: ScimTokenSerializer(many=True), **errors(400, 404)})
    def get(self, request: Request, org: str) -> Response:
        page = self.paginate_queryset(tokens_of(self.organization))
        return self.get_paginated_response(ScimTokenSerializer(page, many=True).data)

    @extend_schema(
        operation_id="scim_tokens_create", summary="Create a SCIM token",
        description="The answer holds the token (`token`) and the SCIM base URL for the IdP: the "
                    "token is shown this once only, Roster keeps its hash. It can be created "
                    "while SCIM is off; SCIM calls with it are refused until SCIM is enabled. "
                    "Audited as `scim.token.created`.",
        request=ScimTokenCreateSerializer,
        responses={201: ScimTokenCreatedSerializer, **errors(400, 404, 413, 415)},
    )
    def post(self, request: Request, org: str) -> Response:
        serializer = ScimTokenCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = scim_services.scim_token_create(
            organization=self.organization, actor=self.actor(), created_by=request.user,
            **serializer.validated_data)
        return shown_once(created.token, created.plaintext, status=201)


class _TokenView(ApiView):
    serializer_class = ScimTokenSerializer

    def token(self) -> ScimToken:
        return self.get_in_org(tokens_of(self.organization), self.kwargs["token_id"],
                               parse=parse_int_id)


class ScimTokenView(_TokenView):
    @extend_schema(operation_id="scim_tokens_retrieve", summary="Get a SCIM token",
                   responses={200: ScimTokenSerializer, **errors(404)})
    def get(self, request: Request, org: str, token_id: str) -> Response:
        return Response(ScimTokenSerializer(self.token()).data)


class ScimTokenRevokeView(_TokenView):
    @extend_schema(
        operation_id="scim_tokens_revoke", summary="Revoke a SCIM token",
        description="SCIM calls with it get 401 at once. Idempotent: revoking a revoked token "
                    "changes nothing. Audited as `scim.token.revoked`.",
        request=None, responses={200: ScimTokenSerializer, **errors(404)},
    )
    def post(self, request: Request, org: str, token_id: str) -> Response:
        token = scim_services.scim_token_revoke(token=self.token(), actor=self.actor())
        return Response(ScimTokenSerializer(tokens_of(self.organization).get(pk=token.pk)).data)

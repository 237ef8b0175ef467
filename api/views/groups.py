"""/api/v1/organizations/{org}/groups/: groups with their members (read only: groups are the
IdP's, pushed over SCIM, or the admin's)."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api.schema import errors
from api.serializers.groups import GroupSerializer
from api.views.base import ApiView
from orgs.selectors import group_list


class GroupListView(ApiView):
    serializer_class = GroupSerializer

    @extend_schema(operation_id="groups_list", summary="List groups with their members",
                   responses={200: GroupSerializer(many=True), **errors(400, 404)})
    def get(self, request: Request, org: str) -> Response:
        page = self.paginate_queryset(group_list(organization=self.organization))
        return self.get_paginated_response(GroupSerializer(page, many=True).data)


class GroupView(ApiView):
    serializer_class = GroupSerializer

    @extend_schema(operation_id="groups_retrieve", summary="Get a group with its members",
                   responses={200: GroupSerializer, **errors(404)})
    def get(self, request: Request, org: str, group_id: str) -> Response:
        group = self.get_in_org(group_list(organization=self.organization), group_id,
                                parse=uuid.UUID)
        return Response(GroupSerializer(group).data)

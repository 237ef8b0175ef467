"""/api/v1/organizations/{org}/members/: list with filters, get, change the role, deactivate,
reactivate, remove. Each write is the admin's service call, audited the same way."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api.schema import errors
from api.serializers.members import (
    MemberFilterSerializer,
    MemberSerializer,
    MemberUpdateSerializer,
)
from api.views.base import ApiView
from orgs import services
from orgs.models import Membership
from orgs.selectors import membership_list


def filter_members(members: QuerySet[Membership], filters: dict[str, Any]) -> QuerySet:
    exact = {k: filters[k] for k in ("role", "status", "source") if k in filters}
    if filters.get("is_active") is not None:
        exact["is_active"] = filters["is_active"]
    members = members.filter(**exact)
    if filters.get("email"):
        members = members.filter(email__iexact=filters["email"])
    if filters.get("q"):
        q = filters["q"]
        members = members.filter(
            Q(email__icontains=q) | Q(given_name__icontains=q) | Q(family_name__icontains=q)
            | Q(scim_user_name__icontains=q) | Q(external_id__icontains=q)
        )
    return members


class MemberListView(ApiView):
    serializer_class = MemberSerializer

    @extend_schema(operation_id="members_list", summary="List members",
                   description="In the order they were added, with their groups.",
                   parameters=[MemberFilterSerializer],
                   responses={200: MemberSerializer(many=True), **errors(400, 404)})
    def get(self, request: Request, org: str) -> Response:
        filters = MemberFilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        members = filter_members(membership_list(organization=self.organization),
                                 filters.validated_data)
        page = self.paginate_queryset(members)
        return self.get_paginated_response(MemberSerializer(page, many=True).data)


class _MemberView(ApiView):
    serializer_class = MemberSerializer

    def member(self) -> Membership:
        return self.get_in_org(membership_list(organization=self.organization),
                               self.kwargs["member_id"], parse=uuid.UUID)

    def answer(self, membership: Membership) -> Response:
        fresh = membership_list(organization=self.organization).get(pk=membership.pk)
        return Response(MemberSerializer(fresh).data)


class MemberView(_MemberView):
    @extend_schema(operation_id="members_retrieve", summary="Get a member",
                   responses={200: MemberSerializer, **errors(404)})
    def get(self, request: Request, org: str, member_id: str) -> Response:
        return Response(MemberSerializer(self.member()).data)

    @extend_schema(
        operation_id="members_update", summary="Change a member's role",
        description="Refused (409 `last_admin`) when it would leave the organization without "
                    "an active admin. Audited as `membership.role_changed`.",
        request=MemberUpdateSerializer,
        responses={200: MemberSerializer, **errors(400, 404, 409, 413, 415)},
    )
    def patch(self, request: Request, org: str, member_id: str) -> Response:
        membership = self.member()
        serializer = MemberUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.membership_change_role(
            membership=membership, role=serializer.validated_data["role"], actor=self.actor())
        return self.answer(membership)

    @extend_schema(
        operation_id="members_remove", summary="Remove a member",
        description="Removes the membership and its group memberships; the person's account is "
                    "kept. Refused (409 `last_admin`) for the last active admin. Audited as "
                    "`membership.removed`.",
        responses={204: None, **errors(404, 409)},
    )
    def delete(self, request: Request, org: str, member_id: str) -> Response:
        services.membership_remove(membership=self.member(), actor=self.actor())
        return Response(status=204)


class MemberDeactivateView(_MemberView):
    @extend_schema(
        operation_id="members_deactivate", summary="Deactivate a member",
        description="Access stops; the membership, its role and its groups are kept. Idempotent. "
                    "Audited as `membership.deactivated`.",
        request=None, responses={200: MemberSerializer, **errors(404)},
    )
    def post(self, request: Request, org: str, member_id: str) -> Response:
        membership = services.membership_deactivate(membership=self.member(), actor=self.actor())
        return self.answer(membership)


class MemberReactivateView(_MemberView):
    @extend_schema(
        operation_id="members_reactivate", summary="Reactivate a member",
        description="Restores access. Idempotent. Audited as `membership.reactivated`.",
        request=None, responses={200: MemberSerializer, **errors(404)},
    )
    def post(self, request: Request, org: str, member_id: str) -> Response:
        membership = services.membership_reactivate(membership=self.member(), actor=self.actor())
        return self.answer(membership)

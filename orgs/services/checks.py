"""The rules every writer of the domain applies to its input, written once."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q, QuerySet

from config.prepared_queries import prepared
from orgs.exceptions import (
    AlreadyExists,
    InvalidInput,
    LastAdminError,
    PreconditionFailed,
)
from orgs.models import (
    ActorKind,
    Group,
    GroupSource,
    Membership,
    MembershipSource,
    Organization,
    Role,
    User,
)
from orgs.text import clean_for_column, fold


def clean_email(email: str) -> str:
    email = clean_for_column((email or "").strip(), Membership, "email", field="email")
    email = User.objects.normalize_email(email)
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvalidInput(f"{email!r} is not a valid email address.") from exc
    return email


def clean_name(value: str, field: str) -> str:
    return clean_for_column(value or "", Membership, "given_name", field=field)


def clean_user_name(value: str) -> str:
    return clean_for_column(value, Membership, "scim_user_name", field="userName")


def clean_external_id(value: str) -> str:
    return clean_for_column(value, Membership, "external_id", field="externalId")


def check_idp_keys(
    organization: Organization, *, user_name: str, external_id: str, exclude_pk: Any = None
) -> None:
    """A member is keyed by the IdP's identifiers: userName and externalId are unique per
    organization, ignoring case (the constraints enforce it; this names the clash). One query,
    through the lookup keys' indexes, whatever the size of the organization; prepared
    (``config.prepared_queries``): every SCIM create and update runs it."""
    if not user_name and not external_id:
        return
    shape = (bool(user_name), bool(external_id), exclude_pk is not None)
    args: list[Any] = [organization.pk, *(v for v in (user_name, external_id) if v)]
    kinds: list[type] = [uuid.UUID] + [str] * (len(args) - 1)
    if exclude_pk is not None:
        args.append(uuid.UUID(str(exclude_pk)))
        kinds.append(uuid.UUID)
    found = prepared(("check_idp_keys", *shape),
                     lambda *values: _idp_key_clashes(shape, *values), args, kinds)
    if user_name and any(name and key == fold(user_name) for name, key in found):
        raise AlreadyExists(f"userName {user_name!r} is already used in {organization.name}.")
    if found:
        raise AlreadyExists(f"externalId {external_id!r} is already used in {organization.name}.")


def _idp_key_clashes(shape: tuple[bool, bool, bool], organization_id: Any,
                     *values: Any) -> QuerySet:
    """Up to two members of the organization holding the userName or externalId in
    ``values`` (those ``shape`` says are there), except the member ``values`` may end with."""
    rest = list(values)
    clash = Q()
    if shape[0]:  # a member added by hand has no userName of its own: its email is no clash
        clash |= Q(user_name_key=fold(rest.pop(0)), scim_user_name__gt="")
    if shape[1]:
        clash |= Q(external_id_key=fold(rest.pop(0)))
    members = Membership.objects.filter(clash, organization_id=organization_id).order_by()
    if shape[2]:
        members = members.exclude(pk=rest.pop(0))
    return members.values_list("scim_user_name", "user_name_key")[:2]


def check_role(role: str) -> str:
    if role not in Role.values:
        raise InvalidInput(f"Unknown role {role!r}: choose one of {', '.join(Role.values)}.")
    return role


def lock_membership(membership: Membership) -> Membership:
    # of=self: the account is an outer join now (an invitation has none), and PostgreSQL
    # cannot lock the nullable side of one.
    return (
        Membership.objects.select_for_update(of=("self",))
        .select_related("organization", "user")
        .get(pk=membership.pk)
    )


def guard_last_admin(membership: Membership, *, doing: str) -> None:
    """Refuse a change that would leave the organization without an active admin."""
    if membership.role != Role.ADMIN or not membership.is_active:
        return
    # Lock the organization's admin rows so two concurrent demotions cannot both pass.
    other_admins = list(
        Membership.objects.select_for_update()
        .filter(organization_id=membership.organization_id, role=Role.ADMIN, is_active=True)
        .exclude(pk=membership.pk)
        .values_list("pk", flat=True)
    )
    if not other_admins:
        raise LastAdminError(
            f"Cannot {doing} {membership.email}: they are the last active admin of "
            f"{membership.organization.name}."
        )


IDP_OWNED = "Okta manages these fields"


def idp_owns(obj: Membership | Group) -> bool:
    """Whether the organization's IdP owns what it pushed of this member or group: it was
    provisioned through SCIM and provisioning is on, so the IdP's next push would undo an
    edit made in Roster. With SCIM off, nothing pushes, and admins may change it here."""
    source = MembershipSource.SCIM if isinstance(obj, Membership) else GroupSource.SCIM
    return obj.source == source and obj.organization.scim_enabled


def guard_idp_owned(obj: Membership | Group, actor: Any, *, what: str, where: str) -> None:
    """Refuse a change of IdP-owned fields by anyone but the IdP's SCIM token.

    ``what`` names the fields ("the email and names of jane@…"), ``where`` what to do in the
    IdP instead."""
    if actor.kind != ActorKind.SCIM_TOKEN and idp_owns(obj):
        raise PreconditionFailed(
            f"{IDP_OWNED} (SCIM): {what} come from your identity provider, whose next push "
            f"would undo a change made here. {where}"
        )

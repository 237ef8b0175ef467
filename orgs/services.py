"""The only writers of the ``orgs`` domain.

Each service checks its rules, writes, and records one ``AuditEvent`` in the same transaction.
The admin, the SCIM adapters, the SSO views and the commands all call these, so a change looks
the same in the audit log whoever made it. Errors are ``orgs.exceptions.DomainError``s.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from orgs.audit import Actor, audit_record
from orgs.exceptions import (
    AlreadyExists,
    CrossOrganizationError,
    DomainError,
    FeatureNotAvailable,
    InvalidInput,
    LastAdminError,
    PreconditionFailed,
)
from orgs.invitations import invitation_enqueue
from orgs.models import (
    Group,
    GroupMember,
    GroupRoleMapping,
    Membership,
    MembershipSource,
    MembershipStatus,
    Organization,
    Role,
    User,
)
from orgs.plans import Feature, Plan
from orgs.text import clean_text

logger = logging.getLogger(__name__)


# --- helpers -------------------------------------------------------------------------------


def _clean_email(email: str) -> str:
    email = clean_text((email or "").strip(), field="email", max_length=254)
    email = User.objects.normalize_email(email)
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvalidInput(f"{email!r} is not a valid email address.") from exc
    return email


def _clean_name(value: str, field: str) -> str:
    return clean_text(value or "", field=field, max_length=150)


def _check_idp_keys(
    organization: Organization, *, user_name: str, external_id: str, exclude_pk: Any = None
) -> None:
    """A member is keyed by the IdP's identifiers: userName and externalId are unique per
    organization, ignoring case (the constraints enforce it; this names the clash)."""
    members = Membership.objects.filter(organization=organization)
    if exclude_pk is not None:
        members = members.exclude(pk=exclude_pk)
    if user_name and members.filter(scim_user_name__iexact=user_name).exists():
        raise AlreadyExists(f"userName {user_name!r} is already used in {organization.name}.")
    if external_id and members.filter(external_id__iexact=external_id).exists():
        raise AlreadyExists(f"externalId {external_id!r} is already used in {organization.name}.")


def _check_role(role: str) -> str:
    if role not in Role.values:
        raise InvalidInput(f"Unknown role {role!r}: choose one of {', '.join(Role.values)}.")
    return role


def _lock_membership(membership: Membership) -> Membership:
    # of=self: the account is an outer join now (an invitation has none), and PostgreSQL
    # cannot lock the nullable side of one.
    return (
        Membership.objects.select_for_update(of=("self",))
        .select_related("organization", "user")
        .get(pk=membership.pk)
    )


def _guard_last_admin(membership: Membership, *, doing: str) -> None:
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


# --- users ---------------------------------------------------------------------------------


def user_get_or_create(*, email: str, first_name: str = "", last_name: str = "") -> User:
    """The global user for an email (case-insensitive), created without a usable password."""
    email = _clean_email(email)
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email=email, first_name=_clean_name(first_name, "first name"),
                last_name=_clean_name(last_name, "last name"),
            )
    except IntegrityError:  # created concurrently: the constraint kept it unique
        return User.objects.get(email__iexact=email)


# --- organizations -------------------------------------------------------------------------


@transaction.atomic
def organization_create(
    *,
    name: str,
    actor: Actor,
    slug: str = "",
    plan: str = Plan.FREE,
    default_role: str = Role.MEMBER,
) -> Organization:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("An organization needs a name.")
    slug = slugify(slug or name)
    if not slug:
        raise InvalidInput(f"Cannot make a slug from {name!r}; give one explicitly.")
    if plan not in Plan.values:
        raise InvalidInput(f"Unknown plan {plan!r}: choose one of {', '.join(Plan.values)}.")
    _check_role(default_role)
    if Organization.objects.filter(slug=slug).exists():
        raise AlreadyExists(f"An organization with slug {slug!r} already exists.")
    try:
        with transaction.atomic():
            org = Organization.objects.create(
                name=name, slug=slug, plan=plan, default_role=default_role
            )
    except IntegrityError as exc:
        raise AlreadyExists(f"An organization with slug {slug!r} already exists.") from exc
    audit_record(
        organization=org, actor=actor, action="org.created", target=org,
        data={"slug": slug, "plan": plan},
    )
    return org


def organization_scim_enable_blocker(*, organization: Organization) -> DomainError | None:
    """Why SCIM provisioning cannot be turned on now, as the error enabling would raise; None
    when it can. The SSO page shows it before the admin tries; the service raises it."""
    if not organization.has_feature(Feature.SCIM):
        return FeatureNotAvailable(
            f"SCIM provisioning is an Enterprise feature; {organization.name} is on the "
            f"{organization.get_plan_display()} plan."
        )
    from sso.selectors import saml_connection_is_active

    if not saml_connection_is_active(organization=organization):
        return PreconditionFailed(
            "Configure and activate SAML SSO first: SCIM provisioning needs an active SAML "
            "connection, since provisioned members sign in through your identity provider."
        )
    return None


@transaction.atomic
def organization_set_scim_enabled(
    *, organization: Organization, enabled: bool, actor: Actor
) -> Organization:
    """Turn SCIM provisioning on or off. Tokens and provisioned data are left untouched."""
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    if enabled:
        blocker = organization_scim_enable_blocker(organization=org)
        if blocker is not None:
            raise blocker
    if org.scim_enabled == enabled:
        return org
    org.scim_enabled = enabled
    org.save(update_fields=["scim_enabled", "updated_at"])
    audit_record(
        organization=org, actor=actor,
        action="org.scim.enabled" if enabled else "org.scim.disabled", target=org,
    )
    organization.scim_enabled = enabled
    return org


@transaction.atomic
def organization_update_settings(
    *, organization: Organization, actor: Actor, **changes: Any
) -> Organization:
    """Change plain settings (name, plan, default role, JIT). SCIM and SSO enforcement have
    their own services because they have preconditions."""
    allowed = {"name", "plan", "default_role", "sso_jit_provisioning"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(f"Cannot change {', '.join(sorted(unknown))} here.")
    if "plan" in changes and changes["plan"] not in Plan.values:
        raise InvalidInput(f"Unknown plan {changes['plan']!r}.")
    if "default_role" in changes:
        _check_role(changes["default_role"])
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    before = {k: getattr(org, k) for k in changes}
    diff = {k: [before[k], v] for k, v in changes.items() if before[k] != v}
    if not diff:
        return org
    for key, value in changes.items():
        setattr(org, key, value)
    org.save()
    audit_record(
        organization=org, actor=actor, action="org.updated", target=org, data={"changes": diff}
    )
    return org


# --- memberships ---------------------------------------------------------------------------


def account_claimable(account: User, organization: Organization) -> bool:
    """Whether ``organization`` may link ``account`` on its own word (an admin's add, or its
    IdP's sign-in): only while no other organization uses the account. Otherwise the person
    must prove they hold it first (``sso.services``): an organization must never take over
    an account that another organization verified."""
    return not account.memberships.exclude(organization=organization).exists()


@transaction.atomic
def membership_add(
    *,
    organization: Organization,
    email: str,
    actor: Actor,
    first_name: str = "",
    last_name: str = "",
    role: str | None = None,
    source: str = MembershipSource.MANUAL,
    status: str = MembershipStatus.INVITED,
    scim_user_name: str = "",
    external_id: str = "",
    is_active: bool = True,
    send_invitation: bool = True,
    link_account: bool = True,
) -> Membership:
    """Add a person to an organization.

    The email and names are the organization's own. ``link_account`` links the account with
    that email (created when new) if the organization may claim it (``account_claimable``);
    otherwise, and always for IdP provisioning (``source=SCIM``), the member is an
    invitation that the person's first verified sign-in links. Members are unique by the IdP's
    userName and externalId; people added by hand also by email.
    """
    role = _check_role(role or organization.default_role)
    email = _clean_email(email)
    first_name = _clean_name(first_name, "first name")
    last_name = _clean_name(last_name, "last name")
    scim_user_name = clean_text(scim_user_name, field="userName", max_length=254)
    external_id = clean_text(external_id, field="externalId", max_length=255)
    _check_idp_keys(organization, user_name=scim_user_name, external_id=external_id)
    user = None
    if source != MembershipSource.SCIM and Membership.objects.filter(
        organization=organization, email__iexact=email
    ).exists():
        raise AlreadyExists(f"{email} is already a member of {organization.name}.")
    if link_account and source != MembershipSource.SCIM:
        account = user_get_or_create(email=email, first_name=first_name, last_name=last_name)
        if account_claimable(account, organization):
            user = account
        if user is not None and Membership.objects.filter(
            organization=organization, user=user
        ).exists():
            raise AlreadyExists(f"{email} is already a member of {organization.name}.")
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                organization=organization, user=user, email=email, given_name=first_name,
                family_name=last_name, role=role, status=status, source=source,
                scim_user_name=scim_user_name, external_id=external_id, is_active=is_active,
                linked_at=timezone.now() if user is not None else None,
            )
    except IntegrityError as exc:  # a concurrent create won the race
        raise AlreadyExists(
            f"{scim_user_name or email} is already a member of {organization.name}."
        ) from exc
    action = "scim.user.created" if source == MembershipSource.SCIM else "membership.added"
    audit_record(
        organization=organization, actor=actor, action=action, target=membership,
        data={"email": email, "role": role, "source": source, "status": status,
              "linked": user is not None},
    )
    if send_invitation and status == MembershipStatus.INVITED:
        # Sent by a background job once the membership is committed (orgs/invitations.py).
        transaction.on_commit(
            lambda: invitation_enqueue(membership_id=membership.pk), robust=True
        )
    return membership


@transaction.atomic
def membership_link_account(*, membership: Membership, user: User, actor: Actor) -> Membership:
    """Tie a member to the account the person proved they hold (``sso.services`` decides)."""
    m = _lock_membership(membership)
    if m.user_id == user.pk:
        return m
    if m.user_id is not None:
        raise PreconditionFailed("This member is already linked to another account.")
    if Membership.objects.filter(organization_id=m.organization_id, user=user).exists():
        raise AlreadyExists(
            f"This account is already linked to another member of {m.organization.name}."
        )
    m.user = user
    m.linked_at = timezone.now()
    m.save(update_fields=["user", "linked_at", "updated_at"])
    audit_record(
        organization=m.organization, actor=actor, action="membership.account_linked", target=m,
        data={"account": user.email},
    )
    return m


@transaction.atomic
def membership_update_profile(
    *,
    membership: Membership,
    actor: Actor,
    email: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    scim_user_name: str | None = None,
    external_id: str | None = None,
    action: str = "membership.updated",
) -> Membership:
    """Update what the organization knows of a member. Only changed fields are written and
    logged. The linked account is never touched (it may belong to other organizations), and
    a changed email or userName never moves the membership to another account."""
    m = _lock_membership(membership)
    new: dict[str, str] = {}
    if email is not None:
        new["email"] = _clean_email(email)
    if first_name is not None:
        new["given_name"] = _clean_name(first_name, "first name")
    if last_name is not None:
        new["family_name"] = _clean_name(last_name, "last name")
    if scim_user_name is not None:
        new["scim_user_name"] = clean_text(scim_user_name, field="userName", max_length=254)
    if external_id is not None:
        new["external_id"] = clean_text(external_id, field="externalId", max_length=255)
    changes = {f: [getattr(m, f), v] for f, v in new.items() if getattr(m, f) != v}
    if not changes:
        return m
    _check_idp_keys(
        m.organization, exclude_pk=m.pk,
        user_name=changes["scim_user_name"][1] if "scim_user_name" in changes else "",
        external_id=changes["external_id"][1] if "external_id" in changes else "",
    )
    for field, (_, value) in changes.items():
        setattr(m, field, value)
    try:
        with transaction.atomic():
            m.save(update_fields=[*changes, "updated_at"])
    except IntegrityError as exc:  # a concurrent change took the same userName/externalId
        raise AlreadyExists("userName or externalId is already used in this org.") from exc
    audit_record(
        organization=m.organization, actor=actor, action=action, target=m,
        data={"changes": changes},
    )
    return m


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, actor: Actor) -> Membership:
    role = _check_role(role)
    m = _lock_membership(membership)
    if m.role == role:
        return m
    if role != Role.ADMIN:
        _guard_last_admin(m, doing="demote")
    old = m.role
    m.role = role
    m.save(update_fields=["role", "updated_at"])
    audit_record(
        organization=m.organization, actor=actor, action="membership.role_changed", target=m,
        data={"from": old, "to": role},
    )
    return m


@transaction.atomic
def membership_deactivate(
    *, membership: Membership, actor: Actor, action: str = "membership.deactivated"
) -> Membership:
    """Deprovision: access stops, the membership, its role and its groups are kept.

    Deactivation is not refused for the last admin: when the IdP says a person left, access
    must stop. Removal and demotion are the changes that are refused.
    """
    m = _lock_membership(membership)
    if not m.is_active:
        return m
    m.is_active = False
    m.save(update_fields=["is_active", "updated_at"])
    audit_record(organization=m.organization, actor=actor, action=action, target=m)
    return m


@transaction.atomic
def membership_reactivate(
    *, membership: Membership, actor: Actor, action: str = "membership.reactivated"
) -> Membership:
    m = _lock_membership(membership)
    if m.is_active:
        return m
    m.is_active = True
    m.save(update_fields=["is_active", "updated_at"])
    audit_record(organization=m.organization, actor=actor, action=action, target=m)
    return m


@transaction.atomic
def membership_accept(*, membership: Membership, actor: Actor) -> Membership:
    """Mark an invited membership accepted (the member finished account setup)."""
    m = _lock_membership(membership)
    if m.status == MembershipStatus.ACCEPTED:
        return m
    m.status = MembershipStatus.ACCEPTED
    m.save(update_fields=["status", "updated_at"])
    audit_record(organization=m.organization, actor=actor, action="membership.accepted", target=m)
    return m


@transaction.atomic
def membership_remove(
    *, membership: Membership, actor: Actor, action: str = "membership.removed"
) -> None:
    """Remove a member and their group memberships; the global user is kept."""
    m = _lock_membership(membership)
    _guard_last_admin(m, doing="remove")
    audit_record(
        organization=m.organization, actor=actor, action=action, target=m,
        data={"email": m.email},
    )
    m.delete()


# --- groups --------------------------------------------------------------------------------


def _check_display_name(organization: Organization, name: str, exclude_pk: Any = None) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("A group needs a display name.")
    clash = Group.objects.filter(organization=organization, display_name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise AlreadyExists(f"A group named {name!r} already exists in {organization.name}.")
    return name


@transaction.atomic
def group_create(
    *,
    organization: Organization,
    display_name: str,
    actor: Actor,
    external_id: str = "",
    action: str = "group.created",
) -> Group:
    name = _check_display_name(organization, display_name)
    try:
        with transaction.atomic():
            group = Group.objects.create(
                organization=organization, display_name=name, external_id=external_id or ""
            )
    except IntegrityError as exc:
        raise AlreadyExists(f"A group named {name!r} already exists.") from exc
    audit_record(organization=organization, actor=actor, action=action, target=group)
    return group


@transaction.atomic
def group_update(
    *,
    group: Group,
    actor: Actor,
    display_name: str | None = None,
    external_id: str | None = None,
    action: str = "group.updated",
) -> Group:
    g = Group.objects.select_for_update().select_related("organization").get(pk=group.pk)
    changes: dict[str, list[str]] = {}
    if display_name is not None and display_name.strip() != g.display_name:
        name = _check_display_name(g.organization, display_name, exclude_pk=g.pk)
        changes["display_name"] = [g.display_name, name]
        g.display_name = name
    if external_id is not None and external_id != g.external_id:
        changes["external_id"] = [g.external_id, external_id]
        g.external_id = external_id
    if not changes:
        return g
    try:
        with transaction.atomic():
            g.save()
    except IntegrityError as exc:
        raise AlreadyExists(f"A group named {g.display_name!r} already exists.") from exc
    audit_record(
        organization=g.organization, actor=actor, action=action, target=g,
        data={"changes": changes},
    )
    return g


@transaction.atomic
def group_delete(*, group: Group, actor: Actor, action: str = "group.deleted") -> None:
    """Delete a group; its members stay in the organization."""
    g = Group.objects.select_for_update().select_related("organization").get(pk=group.pk)
    audit_record(
        organization=g.organization, actor=actor, action=action, target=g,
        data={"display_name": g.display_name},
    )
    g.delete()


def _resolve_members(group: Group, memberships: Iterable[Membership | Any]) -> set[Any]:
    """Membership ids, all checked to belong to the group's organization."""
    ids = {m.pk if isinstance(m, Membership) else m for m in memberships}
    if not ids:
        return set()
    found = set(
        Membership.objects.filter(pk__in=ids, organization_id=group.organization_id)
        .values_list("pk", flat=True)
    )
    missing = {str(i) for i in ids} - {str(i) for i in found}
    if missing:
        raise CrossOrganizationError(
            f"Not members of {group.organization.name}: {', '.join(sorted(missing))}."
        )
    return found


def _lock_group(group: Group) -> Group:
    return Group.objects.select_for_update().select_related("organization").get(pk=group.pk)


@transaction.atomic
def group_change_members(
    *,
    group: Group,
    actor: Actor,
    add: Iterable[Membership | Any] = (),
    remove: Iterable[Membership | Any] = (),
    action: str = "group.members_changed",
) -> tuple[set[Any], set[Any]]:
    """Add and remove members in one step; idempotent (adding a member twice or removing an
    absent one changes nothing) and atomic under concurrency (the group row is locked).

    Returns the membership ids actually added and removed.
    """
    g = _lock_group(group)
    to_add = _resolve_members(g, add)
    to_remove = {m.pk if isinstance(m, Membership) else m for m in remove}
    current = set(GroupMember.objects.filter(group=g).values_list("membership_id", flat=True))
    to_remove_str = {str(i) for i in to_remove}
    removed = {i for i in current if str(i) in to_remove_str}
    added = to_add - current - removed
    if removed:
        GroupMember.objects.filter(group=g, membership_id__in=removed).delete()
    if added:
        GroupMember.objects.bulk_create(
            [GroupMember(group=g, membership_id=i) for i in added], ignore_conflicts=True
        )
    if added or removed:
        # A membership change is a change of the group: SCIM's meta.lastModified follows it.
        g.save(update_fields=["updated_at"])
        audit_record(
            organization=g.organization, actor=actor, action=action, target=g,
            data={"added": sorted(map(str, added)), "removed": sorted(map(str, removed))},
        )
    return added, removed


@transaction.atomic
def group_set_members(
    *,
    group: Group,
    actor: Actor,
    memberships: Iterable[Membership | Any],
    action: str = "group.members_changed",
) -> tuple[set[Any], set[Any]]:
    """Make the group's members exactly ``memberships`` (a full replace, as Okta's PUT)."""
    g = _lock_group(group)
    wanted = _resolve_members(g, memberships)
    current = set(GroupMember.objects.filter(group=g).values_list("membership_id", flat=True))
    return group_change_members(
        group=g, actor=actor, add=wanted - current, remove=current - wanted, action=action
    )


# --- group role mappings -------------------------------------------------------------------


@transaction.atomic
def group_role_mapping_set(
    *, organization: Organization, idp_group_name: str, role: str, actor: Actor
) -> GroupRoleMapping:
    name = (idp_group_name or "").strip()
    if not name:
        raise InvalidInput("An IdP group name is required.")
    _check_role(role)
    mapping = GroupRoleMapping.objects.filter(
        organization=organization, idp_group_name__iexact=name
    ).first()
    if mapping is None:
        mapping = GroupRoleMapping.objects.create(
            organization=organization, idp_group_name=name, role=role
        )
    elif mapping.role == role:
        return mapping
    else:
        mapping.role = role
        mapping.save(update_fields=["role"])
    audit_record(
        organization=organization, actor=actor, action="org.group_role_mapping.set",
        target=mapping, data={"idp_group_name": name, "role": role},
    )
    return mapping


@transaction.atomic
def group_role_mapping_delete(*, mapping: GroupRoleMapping, actor: Actor) -> None:
    audit_record(
        organization=mapping.organization, actor=actor, action="org.group_role_mapping.deleted",
        target=mapping, data={"idp_group_name": mapping.idp_group_name},
    )
    mapping.delete()


def _highest_mapped_role(mappings: dict[str, str], group_names: Iterable[str]) -> str | None:
    """The highest role mapped to any of ``group_names`` (compared case-insensitively), or
    None when none of them is mapped. ``mappings``: lower-cased IdP group name → role."""
    roles = {mappings[n.lower()] for n in group_names if n and n.lower() in mappings}
    for role in (Role.ADMIN, Role.MEMBER, Role.NO_ACCESS):
        if role in roles:
            return role
    return None


def _mappings(organization: Organization) -> dict[str, str]:
    return {
        m.idp_group_name.lower(): m.role
        for m in GroupRoleMapping.objects.filter(organization=organization)
    }


def role_for_new_member(*, organization: Organization, group_names: Iterable[str] = ()) -> str:
    """The role a newly provisioned member gets: the highest mapped role among the IdP groups
    they arrive with, else the organization default."""
    names = [n for n in group_names if n]
    role = _highest_mapped_role(_mappings(organization), names) if names else None
    return role or organization.default_role


@transaction.atomic
def memberships_apply_group_role_mappings(
    *,
    organization: Organization,
    membership_ids: Iterable[Any],
    actor: Actor,
    action: str = "membership.role_changed",
) -> list[Membership]:
    """Group role mappings for members whose groups arrive after them.

    Okta creates a person first (POST /Users, which carries no groups) and pushes their groups
    afterwards (Push Groups: POST /Groups, PUT or PATCH). So "first provisioned through a
    pushed group" is decided at the push, by this rule: when a push *adds* a member to a group,
    and that member was provisioned by SCIM and has not signed in yet (status invited: no first
    login and account setup in this organization), their role becomes the highest role mapped
    to any group they are now in. If none of their groups is mapped, their role is left alone.

    Never changed by a push: the role of anyone who has signed in (accepted), of members added
    by hand or by SSO, and roles on removal from a group. A demotion that would leave the
    organization without an active admin is skipped. Each change writes one ``action`` event
    with the groups it came from. Returns the memberships whose role changed.
    """
    ids = {i.pk if isinstance(i, Membership) else i for i in membership_ids}
    mappings = _mappings(organization) if ids else {}
    if not mappings:
        return []
    pending = list(
        Membership.objects.select_for_update(of=("self",))
        .select_related("organization", "user")
        .filter(
            organization=organization, pk__in=ids, source=MembershipSource.SCIM,
            status=MembershipStatus.INVITED,
        )
        .order_by("pk")
    )
    names: dict[Any, list[str]] = {m.pk: [] for m in pending}
    for membership_id, name in GroupMember.objects.filter(
        membership_id__in=list(names)
    ).values_list("membership_id", "group__display_name"):
        names[membership_id].append(name)
    changed = []
    for m in pending:
        role = _highest_mapped_role(mappings, names[m.pk])
        if role is None or role == m.role:
            continue
        if role != Role.ADMIN:
            try:
                _guard_last_admin(m, doing="demote")
            except LastAdminError:
                logger.info("Group role mapping skipped for the last admin %s", m.pk)
                continue
        old = m.role
        m.role = role
        m.save(update_fields=["role", "updated_at"])
        mapped = sorted(n for n in names[m.pk] if mappings.get(n.lower()) == role)
        audit_record(
            organization=organization, actor=actor, action=action, target=m,
            data={"from": old, "to": role, "groups": mapped},
        )
        changed.append(m)
    return changed


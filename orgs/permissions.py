"""Who may administer which organization. One rule, used by the admin, its extra pages and the
API: superusers administer every organization; a staff user administers the organizations in
which they hold an active, accepted admin membership (an invited admin must finish account setup
first); nobody else administers anything.

A session made by SAML single sign-on is narrower: it speaks only for the organizations whose
identity provider signed this person in (``sso.middleware`` puts them on the user as
``_roster_sso_scope``), since an organization's admin controls their own IdP and accounts are
global. Within that scope the rule above applies."""

from __future__ import annotations

from typing import Any

from orgs.models import Membership, MembershipStatus, Organization, Role


def administered_org_ids(user: Any) -> set[Any] | None:
    """Ids of the organizations this user administers; None means all (superuser)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    scope = getattr(user, "_roster_sso_scope", None)
    if user.is_superuser and scope is None:
        return None
    if not user.is_staff and not user.is_superuser:
        return set()
    cached = getattr(user, "_roster_admin_org_ids", None)
    if cached is None:
        cached = set(
            Membership.objects.filter(
                user=user, role=Role.ADMIN, is_active=True, status=MembershipStatus.ACCEPTED
            ).values_list("organization_id", flat=True)
        )
        if scope is not None:
            cached = {org_id for org_id in cached if str(org_id) in scope}
        user._roster_admin_org_ids = cached
    return cached


def can_administer(user: Any, organization: Organization | Any) -> bool:
    ids = administered_org_ids(user)
    if ids is None:
        return True
    org_id = getattr(organization, "pk", organization)
    return org_id in ids

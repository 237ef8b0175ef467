"""Who may administer which organization. One rule, used by the admin, its extra pages and the
API: superusers administer every organization; a staff user administers the organizations in
which they hold an active, accepted admin membership (an invited admin must finish account setup
first); nobody else administers anything.

A session made by SAML single sign-on is narrower: it speaks only for the organizations whose
identity provider signed this person in (listed in the session under ``SESSION_SCOPE_KEY`` by
the ACS), since an organization's admin controls their own IdP and accounts are global. Within
that scope the rule above applies. The functions take the request, so the scope is read where
it is decided, not carried on the user.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from orgs.models import Membership, MembershipStatus, Organization, Role

# The session key under which a SAML sign-in lists the organization ids it speaks for. (The
# name predates this module; renaming it would unscope every live session.)
SESSION_SCOPE_KEY = "sso_scope"


def session_org_scope(request: HttpRequest) -> frozenset[str] | None:
    """The organizations (ids as strings) this session speaks for; None for a session not made
    by SAML (a password login), which is not narrowed."""
    session = getattr(request, "session", None)
    scope = session.get(SESSION_SCOPE_KEY) if session is not None else None
    return frozenset(scope) if scope is not None else None


def session_org_scope_add(request: HttpRequest, organization_id: Any) -> None:
    """Widen a SAML session by one more organization whose IdP signed the person in."""
    scope = set(request.session.get(SESSION_SCOPE_KEY, [])) | {str(organization_id)}
    request.session[SESSION_SCOPE_KEY] = sorted(scope)


def administered_org_ids(request: HttpRequest) -> set[Any] | None:
    """Ids of the organizations the request's user administers; None means all (superuser)."""
    memo = getattr(request, "_administered_org_ids", False)  # one query per request
    if memo is not False:
        return memo
    user = request.user
    scope = session_org_scope(request)
    ids: set[Any] | None
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        ids = set()
    elif user.is_superuser and scope is None:
        ids = None
    elif not user.is_staff and not user.is_superuser:
        ids = set()
    else:
        ids = set(
            Membership.objects.filter(
                user=user, role=Role.ADMIN, is_active=True, status=MembershipStatus.ACCEPTED
            ).values_list("organization_id", flat=True)
        )
        if scope is not None:
            ids = {org_id for org_id in ids if str(org_id) in scope}
    request._administered_org_ids = ids
    return ids


def can_administer(request: HttpRequest, organization: Organization | Any) -> bool:
    ids = administered_org_ids(request)
    if ids is None:
        return True
    org_id = getattr(organization, "pk", organization)
    return org_id in ids

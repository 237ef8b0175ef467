"""SAML sign-ins: what a verified assertion gets in an organization, and refusals."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from orgs import services as org_services
from orgs.audit import Actor, audit_record
from orgs.exceptions import InvalidInput, PreconditionFailed
from orgs.models import (
    ActorKind,
    Membership,
    MembershipSource,
    MembershipStatus,
    Organization,
    Role,
    User,
    account_email_is,
)
from orgs.text import clean_for_column, fold
from sso.exceptions import REFUSAL_MESSAGES, LoginRefused
from sso.models import SamlConnection
from sso.selectors import account_is_operator

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoginOutcome:
    membership: Membership
    needs_setup: bool
    is_admin: bool
    # Set when the person proved (by their session) an account another organization uses:
    # nothing is linked until they confirm on our own page (``saml_link_confirm``), so a
    # cross-site POST of an assertion can never link a signed-in person's account unasked.
    confirm_link_to: User | None = None


@dataclass(frozen=True)
class SamlIdentity:
    """The person a verified assertion names, as Roster may store it (``saml_identity_clean``)."""

    email: str
    first_name: str = ""
    last_name: str = ""
    name_id: str = ""


def saml_identity_clean(
    *, organization: Organization, actor: Actor, email: str, first_name: str = "",
    last_name: str = "", name_id: str = "",
) -> SamlIdentity:
    """Check what a signed IdP sent against the one rule for stored strings (``orgs.text``)
    and the columns' lengths, before anything is looked up or written: an over-long, malformed
    or control-character email or name is an audited ``invalid_attribute`` refusal, the same on
    SQLite (which would store it) and PostgreSQL (which would fail the query). Refused, never
    trimmed: a trimmed email could be somebody else's."""
    try:
        email = clean_for_column(email, User, "email", field="email")
        if not email:
            raise InvalidInput("there is no email address in the NameID or the email attribute.")
        try:
            validate_email(email)
        except ValidationError as exc:
            raise InvalidInput("email is not a valid email address.") from exc
        first_name = clean_for_column(first_name, User, "first_name", field="firstName")
        last_name = clean_for_column(last_name, User, "last_name", field="lastName")
        # Compared with userName, so held to its column.
        name_id = clean_for_column(name_id.strip(), Membership, "scim_user_name", field="NameID")
    except InvalidInput as exc:
        raise saml_login_refuse(
            organization=organization, reason="invalid_attribute", actor=actor, detail=exc.message
        ) from exc
    return SamlIdentity(email=email, first_name=first_name, last_name=last_name, name_id=name_id)


@transaction.atomic
def saml_login_refuse(
    *, organization: Organization, reason: str, actor: Actor, email: str = "", detail: str = ""
) -> LoginRefused:
    """Record a refused SAML login and return the error to raise. Never stores the response."""
    data: dict[str, Any] = {"reason": reason}
    if email:
        data["email"] = email[:254]
    if detail:
        data["detail"] = detail[:300]
    audit_record(organization=organization, actor=actor, action="sso.login.refused", data=data)
    logger.info("SAML login refused for org %s: %s", organization.slug, reason)
    message = REFUSAL_MESSAGES.get(reason, "Sign-in refused.").format(detail=detail)
    return LoginRefused(reason, message)


def _find_membership(
    organization: Organization, *, name_id: str, email: str, actor: Actor
) -> Membership | None:
    """The member an assertion speaks of: the NameID as the IdP's userName first (Entra's
    default NameID is the user principal name), then as the member's email, then the asserted
    email. Several members sharing that email cannot be told apart: refused."""
    members = Membership.objects.select_related("user", "organization").filter(
        organization=organization
    )
    if name_id:
        found = members.filter(user_name_key=fold(name_id)).exclude(scim_user_name="").first()
        if found is not None:
            return found
    for candidate in dict.fromkeys(v for v in (name_id, email) if v):
        matches = list(members.filter(email_key=fold(candidate))[:2])
        if len(matches) > 1:
            raise saml_login_refuse(
                organization=organization, reason="ambiguous_user", actor=actor, email=candidate
            )
        if matches:
            return matches[0]
    return None


def _account_for(
    organization: Organization, membership: Membership | None, *, email: str,
    session_user: User | None, actor: Actor,
) -> tuple[User | None, str, bool]:
    """The account this sign-in opens, the email a new one would get, and whether the
    person must confirm the link first.

    A linked member opens their account. Otherwise the account with the verified email is
    linked on this IdP's word only while no other organization uses it
    (``orgs.services.account_claimable``); else only for a person already signed in to it,
    after they confirm. No account yet means one is made at this first verified sign-in."""
    if membership is not None and membership.user is not None:
        return membership.user, membership.user.email, False
    account_email = email or (membership.email if membership is not None else "")
    account = (User.objects.filter(account_email_is(account_email)).first()
               if account_email else None)
    if account is None or org_services.account_claimable(account, organization):
        return account, account_email, False
    if membership is None or session_user is None or session_user.pk != account.pk:
        # Another organization uses this account: this IdP's word alone must not open it.
        reason = "unknown_user" if membership is None else "account_needs_proof"
        raise saml_login_refuse(
            organization=organization, reason=reason, actor=actor, email=account_email
        )
    return account, account_email, True


def saml_login_complete(
    *, connection: SamlConnection, identity: SamlIdentity, actor: Actor,
    session_user: User | None = None,
) -> LoginOutcome:
    """Decide what a verified SAML assertion for ``identity`` gets in this organization.

    ``identity.name_id`` is the assertion's NameID, ``identity.email`` the verified email
    address it carries (the NameID when it is one, else the ``email`` attribute);
    ``session_user`` is the account this browser is already signed in to (proof of holding
    it), if any.

    The organization's IdP is trusted for this organization only: operators (superusers, users
    with Django permissions) are refused, and neither linking nor just-in-time provisioning
    ever opens an account that other organizations use without the person's proof. The
    caller scopes the session to this organization.

    Refusals are audited and raised as ``LoginRefused``; success stamps the connection's
    ``last_login_at`` and records ``sso.login.succeeded``.
    """
    org = connection.organization
    name_id, email = identity.name_id, identity.email
    first_name, last_name = identity.first_name, identity.last_name
    membership = _find_membership(org, name_id=name_id, email=email, actor=actor)
    if membership is None and not org.sso_jit_provisioning:
        raise saml_login_refuse(organization=org, reason="unknown_user", actor=actor, email=email)
    if membership is not None:
        if not membership.is_active:
            raise saml_login_refuse(
                organization=org, reason="deactivated", actor=actor, email=email
            )
        if membership.role == Role.NO_ACCESS:
            raise saml_login_refuse(organization=org, reason="no_access", actor=actor, email=email)
    account, account_email, confirm = _account_for(
        org, membership, email=email, session_user=session_user, actor=actor
    )
    if account is not None and account_is_operator(account):
        # An org's IdP is its admin's to control: it must never make an operator session.
        raise saml_login_refuse(organization=org, reason="operator", actor=actor, email=email)
    if account is not None and not account.is_active:
        raise saml_login_refuse(organization=org, reason="deactivated", actor=actor, email=email)
    if not account_email:
        raise saml_login_refuse(
            organization=org, reason="invalid_response", actor=actor,
            detail="No email address in the assertion.",
        )
    if confirm:
        assert membership is not None and account is not None
        return LoginOutcome(membership=membership, needs_setup=False, is_admin=False,
                            confirm_link_to=account)
    with transaction.atomic():
        if membership is None:
            membership = org_services.membership_add(
                organization=org, email=email, actor=actor, first_name=first_name,
                last_name=last_name, source=MembershipSource.SSO,
                status=MembershipStatus.INVITED, send_invitation=False, link_account=False,
            )
        if account is None:
            account = org_services.user_get_or_create(
                email=account_email, first_name=first_name or membership.given_name,
                last_name=last_name or membership.family_name,
            )
        return _signed_in(connection, membership, account, actor)


@transaction.atomic
def saml_link_confirm(
    *, connection: SamlConnection, membership: Membership, user: User, actor: Actor
) -> LoginOutcome:
    """The person, signed in to ``user``, confirmed that this organization's member is them:
    link and sign in. Checked again here, since the state may have changed meanwhile."""
    m = (
        Membership.objects.select_for_update(of=("self",)).select_related("organization", "user")
        .filter(pk=membership.pk, organization_id=connection.organization_id).first()
    )
    if m is None or m.user_id not in (None, user.pk) or not m.is_active or (
        m.role == Role.NO_ACCESS
    ):
        raise PreconditionFailed("This link is no longer possible. Sign in again.")
    if account_is_operator(user) or not user.is_active:
        raise PreconditionFailed("This account cannot be signed in through single sign-on.")
    return _signed_in(connection, m, user, actor)


def _signed_in(
    connection: SamlConnection, membership: Membership, account: User, actor: Actor
) -> LoginOutcome:
    """A verified sign-in of ``account`` as ``membership``: link it if it is not yet, accept
    the invitation of someone whose keys exist, grant admins the admin site, and record it.
    Runs inside the caller's transaction."""
    org = connection.organization
    user = User.objects.select_for_update().get(pk=account.pk)
    user_actor = replace(actor, kind=ActorKind.USER, id=str(user.pk), label=user.email)
    if membership.user_id is None:
        membership = org_services.membership_link_account(
            membership=membership, user=user, actor=user_actor
        )
    if user.setup_completed_at and membership.status == MembershipStatus.INVITED:
        # Keys already made at an earlier setup: joining another org needs no new ones.
        membership = org_services.membership_accept(membership=membership, actor=user_actor)
    data: dict[str, Any] = {"email": user.email}
    if membership.role == Role.ADMIN and not user.is_staff:
        # The admin site needs is_staff; what they may do there is still scoped by
        # orgs.permissions to the orgs they administer.
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        data["granted_staff"] = True
    now = timezone.now()
    SamlConnection.objects.filter(pk=connection.pk).update(last_login_at=now, updated_at=now)
    connection.last_login_at = now
    audit_record(
        organization=org, actor=user_actor, action="sso.login.succeeded", target=membership,
        data=data,
    )
    membership.user = user
    return LoginOutcome(
        membership=membership,
        needs_setup=user.setup_completed_at is None
        or membership.status != MembershipStatus.ACCEPTED,
        is_admin=membership.role == Role.ADMIN,
    )


@transaction.atomic
def password_login_refuse(*, user: User, organization: Organization, actor: Actor) -> None:
    """Record a password login refused because the organization enforces SAML SSO."""
    audit_record(
        organization=organization, actor=actor, action="auth.password_login.refused",
        target=user, data={"reason": "sso_enforced"},
    )


# --- account setup -------------------------------------------------------------------------

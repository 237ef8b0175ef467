"""SCIM token lifecycle: create (the plaintext is returned once), revoke, authenticate, warn
the organization's admins before a token expires.

A token is 256 random bits behind a recognizable prefix. Only its SHA-256 is stored: with that
much entropy a fast hash is right, and lookup is one indexed equality query. The comparison that
decides is a constant-time one on the hash.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from orgs.audit import Actor, audit_record
from orgs.exceptions import DomainError, FeatureNotAvailable, InvalidInput, PreconditionFailed
from orgs.models import Membership, MembershipStatus, Organization, Role
from orgs.plans import Feature
from scim.models import ScimToken, ScimUserProfile
from sso.selectors import saml_connection_is_active

logger = logging.getLogger(__name__)
TOKEN_PREFIX = "rst_scim_"
PREFIX_LENGTH = len(TOKEN_PREFIX) + 6  # what lists show: "rst_scim_" + 6 characters
MAX_TTL_DAYS = 3650


@dataclass(frozen=True)
class CreatedToken:
    token: ScimToken
    plaintext: str  # shown once, never stored


def hash_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


@transaction.atomic
def scim_token_create(
    *,
    organization: Organization,
    actor: Actor,
    description: str = "",
    ttl_days: int = 365,
    created_by: object | None = None,
) -> CreatedToken:
    if isinstance(ttl_days, bool) or not isinstance(ttl_days, int):
        raise InvalidInput("The TTL must be a whole number of days.")
    if ttl_days < 0 or ttl_days > MAX_TTL_DAYS:
        raise InvalidInput(f"The TTL must be between 0 (never expires) and {MAX_TTL_DAYS} days.")
    description = (description or "").strip()
    if len(description) > 200:
        raise InvalidInput("The description must be at most 200 characters.")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)  # 32 bytes = 256 bits
    now = timezone.now()
    token = ScimToken.objects.create(
        organization=organization,
        description=description,
        token_hash=hash_token(plaintext),
        prefix=plaintext[:PREFIX_LENGTH],
        ttl_days=ttl_days,
        expires_at=now + timedelta(days=ttl_days) if ttl_days else None,
        created_by=created_by,
        created_at=now,
    )
    audit_record(
        organization=organization, actor=actor, action="scim.token.created", target=token,
        data={"prefix": token.prefix, "description": description, "ttl_days": ttl_days},
    )
    return CreatedToken(token=token, plaintext=plaintext)


@transaction.atomic
def scim_token_revoke(*, token: ScimToken, actor: Actor) -> ScimToken:
    t = ScimToken.objects.select_for_update().select_related("organization").get(pk=token.pk)
    if t.revoked_at is not None:
        return t
    t.revoked_at = timezone.now()
    t.save(update_fields=["revoked_at"])
    audit_record(
        organization=t.organization, actor=actor, action="scim.token.revoked", target=t,
        data={"prefix": t.prefix},
    )
    return t


def scim_token_authenticate(plaintext: str) -> ScimToken | None:
    """The usable token for a presented bearer value, or None (unknown, revoked, expired).

    Updates ``last_used_at`` at most once a minute, with a filtered UPDATE rather than a save,
    so a burst of Okta calls does not write on every request.
    """
    if not plaintext or len(plaintext) > 200:
        return None
    digest = hash_token(plaintext)
    token = (
        ScimToken.objects.select_related("organization").filter(token_hash=digest).first()
    )
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    if not token.is_usable:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(seconds=60):
        ScimToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


@dataclass(frozen=True)
class ExpiryNotice:
    """What ``scim_token_notify_expiring`` did with one token.

    ``outcome``: ``"notified"`` (emailed, marked, audited), ``"no_admin"`` (the organization
    has no active, accepted admin to tell; left unmarked so a later run tells the next one) or
    ``"failed"`` (the email could not be sent; nothing was written, the next run retries).
    """

    token: ScimToken
    outcome: str
    recipients: tuple[str, ...] = ()


def _expiry_email(token: ScimToken) -> tuple[str, str]:
    org = token.organization
    url = settings.BASE_URL + reverse("admin:orgs_organization_sso_provisioning", args=[org.pk])
    when = token.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    name = " ".join(org.name.split())  # a subject is one line
    description = token.description or "no description"
    subject = f"Roster: the SCIM token {token.prefix}… of {name} expires on {when}"
    body = (
        f"Hello,\n\n"
        f"The SCIM token \"{description}\" ({token.prefix}…) of {org.name} on Roster expires "
        f"on {when}. After that, your identity provider can no longer provision or deprovision "
        f"members of {org.name}.\n\n"
        f"Create a new token on the Provisioning tab of the SSO page, paste it into your identity "
        f"provider, then revoke the old one:\n\n{url}\n"
    )
    return subject, body


@transaction.atomic
def _notify_one(
    *, token: ScimToken, recipients: tuple[str, ...], within_days: int, actor: Actor,
) -> bool:
    """Mark, audit and email one token, or nothing at all. The mark is a filtered UPDATE, so
    of two runs at once only one sends; the email goes last, so a failed send rolls the mark
    and the audit event back and the next run tries again."""
    now = timezone.now()
    claimed = ScimToken.objects.filter(
        pk=token.pk, revoked_at__isnull=True, expiry_notified_at__isnull=True
    ).update(expiry_notified_at=now)
    if not claimed:
        return False
    token.expiry_notified_at = now
    audit_record(
        organization=token.organization, actor=actor, action="scim.token.expiry_notified",
        target=token,
        data={
            "prefix": token.prefix, "description": token.description,
            "expires_at": token.expires_at.isoformat(), "within_days": within_days,
            "recipients": list(recipients),
        },
    )
    subject, body = _expiry_email(token)
    send_mail(subject=subject, message=body, from_email=None, recipient_list=list(recipients))
    return True


def scim_token_notify_expiring(*, within_days: int, actor: Actor) -> list[ExpiryNotice]:
    """Email the active, accepted admins of each organization whose active SCIM token expires
    within ``within_days`` days and has not been notified yet; mark and audit each token.

    Idempotent: a notified token is never notified again. Each token is its own transaction,
    so one failed email neither undoes nor blocks the others.
    """
    if isinstance(within_days, bool) or not isinstance(within_days, int):
        raise InvalidInput("The number of days must be a whole number.")
    if not 1 <= within_days <= MAX_TTL_DAYS:
        raise InvalidInput(f"The number of days must be between 1 and {MAX_TTL_DAYS}.")
    now = timezone.now()
    tokens = list(
        ScimToken.objects.select_related("organization")
        .filter(
            revoked_at__isnull=True, expiry_notified_at__isnull=True,
            expires_at__gt=now, expires_at__lte=now + timedelta(days=within_days),
        )
        .order_by("expires_at", "id")
    )
    admins: dict[object, list[str]] = {}
    if tokens:
        rows = (
            Membership.objects.filter(
                organization_id__in={t.organization_id for t in tokens}, role=Role.ADMIN,
                status=MembershipStatus.ACCEPTED, is_active=True, user__is_active=True,
            )
            .order_by("user__email")
            .values_list("organization_id", "user__email")
        )
        for org_id, email in rows:
            admins.setdefault(org_id, []).append(email)
    notices = []
    for token in tokens:
        recipients = tuple(admins.get(token.organization_id, ()))
        if not recipients:
            notices.append(ExpiryNotice(token=token, outcome="no_admin"))
            continue
        try:
            sent = _notify_one(
                token=token, recipients=recipients, within_days=within_days, actor=actor
            )
        except Exception:  # one failed email must not stop the others; retried next run
            logger.exception("Could not send the expiry notice for SCIM token %s", token.pk)
            notices.append(ExpiryNotice(token=token, outcome="failed", recipients=recipients))
            continue
        if sent:  # else a concurrent run, or a revocation, got there first
            notices.append(ExpiryNotice(token=token, outcome="notified", recipients=recipients))
    return notices


@transaction.atomic
def scim_profile_update(
    *,
    membership: Membership,
    actor: Actor,
    display_name: str | None = None,
    attributes: dict[str, Any] | None = None,
) -> ScimUserProfile:
    """Store what the IdP says about a member beyond the domain fields (displayName,
    name.formatted, its emails list, title, phoneNumbers, addresses and the other profile
    attributes, the enterprise extension). ``None`` leaves a part as is;
    only a real change is written and audited."""
    profile, _ = ScimUserProfile.objects.select_for_update().get_or_create(
        membership_id=membership.pk
    )
    changes: dict[str, list[Any]] = {}
    if display_name is not None and display_name != profile.display_name:
        changes["displayName"] = [profile.display_name, display_name]
        profile.display_name = display_name[:255]
    if attributes is not None and attributes != profile.attributes:
        changes["attributes"] = [profile.attributes, attributes]
        profile.attributes = attributes
    if changes:
        profile.save()
        # meta.lastModified is the member's updated_at (filters compare it through an index).
        Membership.objects.filter(pk=membership.pk).update(updated_at=profile.updated_at)
        audit_record(
            organization=membership.organization, actor=actor,
            action="scim.user.profile_updated", target=membership, data={"changes": changes},
        )
    return profile


# --- the SCIM toggle ------------------------------------------------------------------------


def organization_scim_enable_blocker(*, organization: Organization) -> DomainError | None:
    """Why SCIM provisioning cannot be turned on now, as the error enabling would raise; None
    when it can. The SSO page shows it before the admin tries; the service raises it."""
    if not organization.has_feature(Feature.SCIM):
        return FeatureNotAvailable(
            f"SCIM provisioning is an Enterprise feature; {organization.name} is on the "
            f"{organization.get_plan_display()} plan."
        )
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

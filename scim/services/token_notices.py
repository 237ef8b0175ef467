"""Warning an organization's admins before a SCIM token expires, once per token."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from orgs.audit import Actor, audit_record
from orgs.exceptions import InvalidInput
from orgs.models import Membership, MembershipStatus, Role
from scim.models import ScimToken
from scim.services.tokens import MAX_TTL_DAYS

logger = logging.getLogger(__name__)


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
        ScimToken.objects.usable(now).select_related("organization")
        .filter(
            expiry_notified_at__isnull=True, expires_at__lte=now + timedelta(days=within_days),
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

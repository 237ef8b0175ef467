"""Invitation emails, sent by a background job (``orgs.tasks.send_invitation``), never inside
the request: an SMTP outage neither fails nor slows a SCIM create or an admin's add. The job
is queued in the database, in the transaction that adds the member (an outbox): the worker
sees it only once the membership is committed, and a create that rolls back queues nothing.
The job retries with backoff; each invitation goes out once.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from jobs.delivery import deliver_once
from orgs.audit import Actor, audit_record
from orgs.models import Membership, MembershipStatus

logger = logging.getLogger(__name__)
SKIPPED = "skipped"


def invitation_enqueue(*, membership_id: Any) -> None:
    """Queue the invitation of a membership, in the caller's transaction (the database queue
    commits the job with the membership)."""
    from orgs.tasks import send_invitation

    send_invitation.enqueue(membership_id=str(membership_id))


def _send(membership: Membership) -> None:
    org = membership.organization
    login_url = f"{settings.BASE_URL}/sso/saml/{org.slug}/login/"
    send_mail(
        subject=f"You have been added to {org.name} on Roster",
        message=(
            f"Hello {membership.given_name or membership.email},\n\n"
            f"You have been added to {org.name} on Roster. Sign in with your organization's "
            f"single sign-on to finish setting up your account:\n\n{login_url}\n"
        ),
        from_email=None,
        recipient_list=[membership.email],
    )


def invitation_deliver(*, membership_id: str) -> str:
    """Send the invitation unless it went out already (``"already_sent"``), another sender is
    at it (``"busy"``), or it is moot: the membership is gone, deactivated or already accepted
    (``"skipped"``). An SMTP error propagates, for the job to retry."""
    membership = (
        Membership.objects.select_related("organization").filter(pk=membership_id).first()
    )
    if (membership is None or not membership.is_active
            or membership.status != MembershipStatus.INVITED):
        return SKIPPED
    return deliver_once(key=f"invitation:{membership.pk}", send=lambda: _send(membership))


@transaction.atomic
def invitation_give_up(*, membership_id: str, attempts: int, error: BaseException) -> None:
    """The last attempt failed: say so in the log and in the organization's audit log
    (``membership.invitation_failed``), so an admin can resend or tell the person."""
    membership = (
        Membership.objects.select_related("organization").filter(pk=membership_id).first()
    )
    logger.error("Giving up on the invitation of membership %s after %d attempts: %s",
                 membership_id, attempts, type(error).__name__)
    if membership is None:
        return
    audit_record(
        organization=membership.organization, actor=Actor.system("jobs"),
        action="membership.invitation_failed", target=membership,
        data={"email": membership.email, "attempts": attempts,
              "error": f"{type(error).__name__}: {error}"[:300]},
    )

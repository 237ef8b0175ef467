"""Background jobs of the ``orgs`` domain."""

from __future__ import annotations

import logging

from django.conf import settings
from django_tasks import TaskContext, task

from config.request_context import request_context
from jobs.queue import retry_later
from orgs.services.invitations import invitation_deliver, invitation_give_up

logger = logging.getLogger(__name__)


@task(takes_context=True)
def send_invitation(context: TaskContext, membership_id: str, attempt: int = 1) -> str:
    """Send one invitation; while SMTP fails, retry with backoff up to
    ``INVITATION_MAX_ATTEMPTS`` attempts, then give up (log line and audit event)."""
    with request_context(request_id=f"job-{context.task_result.id}"):
        return _attempt(membership_id=membership_id, attempt=attempt)


def _attempt(*, membership_id: str, attempt: int) -> str:
    try:
        return invitation_deliver(membership_id=membership_id)
    except Exception as exc:
        retry_at = retry_later(send_invitation, attempt=attempt, membership_id=membership_id,
                               max_attempts=settings.INVITATION_MAX_ATTEMPTS)
        if retry_at is None:
            invitation_give_up(membership_id=membership_id, attempts=attempt, error=exc)
        else:
            logger.warning("Invitation of membership %s failed (attempt %d: %s), retrying at %s",
                           membership_id, attempt, type(exc).__name__, retry_at.isoformat())
        raise

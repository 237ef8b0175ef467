"""Periodic jobs of the ``scim`` app (registered in ``jobs.registry``)."""

from __future__ import annotations

from collections import Counter

from django.conf import settings

from orgs.audit import Actor
from scim.services import scim_token_notify_expiring


class NoticesNotSent(Exception):
    """Some expiry notices could not be sent; the job is retried."""


def notify_expiring_tokens() -> dict[str, int]:
    """Daily: what ``manage.py scim_token notify-expiring`` does, as the scheduler. The
    service marks each token it notified, so a retry only sends what failed."""
    notices = scim_token_notify_expiring(
        within_days=settings.SCIM_TOKEN_EXPIRY_NOTICE_DAYS, actor=Actor.system("scheduler")
    )
    counts = Counter(notice.outcome for notice in notices)
    if counts["failed"]:
        raise NoticesNotSent(f"{counts['failed']} expiry notice(s) could not be sent")
    return dict(counts)

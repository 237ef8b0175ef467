"""Send a message at most once once it went out, however often its task is retried."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.db.models import F, Q
from django.utils import timezone

from jobs.models import Delivery

# Longer than any send may take (EMAIL_TIMEOUT is 30 s by default): a lease older than this
# belongs to a sender that died.
LEASE = timedelta(minutes=10)

SENT, ALREADY_SENT, BUSY = "sent", "already_sent", "busy"


def deliver_once(*, key: str, send: Callable[[], None]) -> str:
    """Run ``send`` unless the delivery ``key`` was sent already or another sender holds it.

    Returns ``"sent"``, ``"already_sent"`` or ``"busy"``; an exception from ``send`` releases
    the claim and propagates, so the caller's retry tries again.
    """
    now = timezone.now()
    delivery, _ = Delivery.objects.get_or_create(key=key)
    if delivery.sent_at is not None:
        return ALREADY_SENT
    claimed = (
        Delivery.objects.filter(pk=delivery.pk, sent_at__isnull=True)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + LEASE, attempts=F("attempts") + 1)
    )
    if not claimed:
        return ALREADY_SENT if Delivery.objects.filter(
            pk=delivery.pk, sent_at__isnull=False).exists() else BUSY
    try:
        send()
    except BaseException:
        Delivery.objects.filter(pk=delivery.pk).update(claimed_until=None)
        raise
    Delivery.objects.filter(pk=delivery.pk).update(sent_at=timezone.now(), claimed_until=None)
    return SENT

"""The only writers of SAML's one-time state: pending AuthnRequests and consumed assertion ids.

Both live in database tables, never in the cache: a cache may evict any key at any time (the
database cache culls a third of its keys when full, locmem and memcached drop the least recently
used, Redis too under an LRU ``maxmemory-policy``), and a security decision must not depend on a
key being kept. Each decision is one statement the database answers atomically: consuming an
assertion id is one INSERT under a unique constraint, consuming a pending request one DELETE
whose row count says who got it. The two tables never touch each other.

These rows are protocol state, not changes an admin would look for, so they write no audit event
(the login they belong to is audited as ``sso.login.succeeded`` or ``sso.login.refused``); an
event per login start would itself be the storage weapon this module is built against.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from orgs.models import Organization
from sso.models import SamlConsumedAssertion, SamlPendingRequest

MAX_RELAY_STATE = 200  # our tokens are 43 characters; anything much longer is not ours


def _relay_state_hash(relay_state: str) -> str:
    return hashlib.sha256(relay_state.encode("utf-8", "surrogatepass")).hexdigest()


def saml_pending_request_create(
    *, organization: Organization, request_id: str, relay_state: str, next_url: str = "",
    now: dt.datetime | None = None,
) -> SamlPendingRequest:
    """Remember an AuthnRequest until it is answered or expires.

    The organization keeps at most ``SAML_MAX_PENDING_REQUESTS_PER_ORG`` of them: a flood of
    login starts expires its own oldest requests first and never grows the table without
    bound (nor touches the consumed-assertion ids)."""
    now = now or timezone.now()
    pending = SamlPendingRequest.objects.create(
        organization=organization, request_id=request_id,
        relay_state_hash=_relay_state_hash(relay_state), next_url=next_url, created_at=now,
        expires_at=now + dt.timedelta(seconds=settings.SAML_PENDING_REQUEST_TTL),
    )
    own = SamlPendingRequest.objects.filter(organization=organization)
    cap = settings.SAML_MAX_PENDING_REQUESTS_PER_ORG
    oldest_kept = list(own.order_by("-id").values_list("id", flat=True)[cap - 1 : cap])
    stale = Q(expires_at__lte=now)
    if oldest_kept:
        stale |= Q(id__lt=oldest_kept[0])
    own.filter(stale).delete()  # one statement: concurrent starts delete in one order
    return pending


def saml_pending_request_find(
    *, relay_state: str, now: dt.datetime | None = None
) -> SamlPendingRequest | None:
    """The unexpired pending request a RelayState token stands for, of whichever organization
    (the caller refuses another organization's). Finding it does not consume it."""
    if not relay_state or len(relay_state) > MAX_RELAY_STATE:
        return None
    return SamlPendingRequest.objects.filter(
        relay_state_hash=_relay_state_hash(relay_state), expires_at__gt=now or timezone.now()
    ).first()


def saml_pending_request_consume(
    *, pending: SamlPendingRequest, now: dt.datetime | None = None
) -> bool:
    """Use a pending request up: True for exactly one caller, the one whose DELETE removed it."""
    deleted, _ = SamlPendingRequest.objects.filter(
        pk=pending.pk, organization_id=pending.organization_id,
        expires_at__gt=now or timezone.now(),
    ).delete()
    return deleted == 1


def saml_assertion_consume(
    *, organization: Organization, assertion_id: str, expires_at: dt.datetime,
    now: dt.datetime | None = None,
) -> bool:
    """Record an accepted assertion id: True the first time, False for a replay.

    One INSERT under the (organization, assertion id) unique constraint decides, inside a
    savepoint so the failed INSERT leaves a surrounding transaction usable on PostgreSQL.
    Per organization: another organization's IdP (which its admin controls) cannot pre-spend
    this organization's ids."""
    try:
        with transaction.atomic():
            SamlConsumedAssertion.objects.create(
                organization=organization, assertion_id=assertion_id,
                created_at=now or timezone.now(), expires_at=expires_at,
            )
    except IntegrityError:
        return False
    return True


@dataclass(frozen=True)
class PruneResult:
    pending_requests: int
    consumed_assertions: int


def saml_state_prune(*, now: dt.datetime | None = None) -> PruneResult:
    """Delete the rows that can no longer decide anything: pending requests past their expiry
    and assertion ids past the moment their assertion would be refused as expired anyway."""
    now = now or timezone.now()
    pending, _ = SamlPendingRequest.objects.filter(expires_at__lte=now).delete()
    consumed, _ = SamlConsumedAssertion.objects.filter(expires_at__lte=now).delete()
    return PruneResult(pending_requests=pending, consumed_assertions=consumed)

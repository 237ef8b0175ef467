"""Rate limit of SAML login starts, per client address and per organization.

Each login start stores a pending request, so an unauthenticated client must not be able to
start them without limit. Counters live in the default cache in fixed windows. A cache may
evict a counter: that only makes the limit lenient for the rest of that window, it never lets a
security decision go wrong (those live in ``sso.services.state``).
"""

from __future__ import annotations

import hashlib
import math
import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache

if TYPE_CHECKING:
    from django.http import HttpRequest

    from orgs.models import Organization


def client_address(request: HttpRequest) -> str:
    """The client's address: behind our TLS-terminating proxy the last ``X-Forwarded-For`` hop
    (the one our proxy appended; anything left of it is the client's to invent), else the
    peer address."""
    if settings.BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if forwarded:
            return forwarded[:100]
    return request.META.get("REMOTE_ADDR") or "unknown"


def _count(scope: str, value: str, window: int, index: int) -> int:
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    key = f"sso:login-rate:{scope}:{digest}:{index}"
    cache.add(key, 0, timeout=window + 5)
    try:
        return cache.incr(key)
    except ValueError:  # evicted between add and incr: count afresh (lenient, never wrong)
        cache.set(key, 1, timeout=window + 5)
        return 1


def login_start_retry_after(
    *, organization: Organization, address: str, now: float | None = None
) -> int | None:
    """Count one login start; None if it is allowed, else the seconds until the window ends.

    The address is counted first, and a start refused for its address does not count against
    the organization, so one client cannot use up an organization's allowance."""
    window = settings.SAML_LOGIN_RATE_WINDOW
    now = time.time() if now is None else now
    index = int(now // window)
    retry_after = max(1, math.ceil(window - now % window))
    if _count("addr", address, window, index) > settings.SAML_LOGIN_RATE_PER_ADDRESS:
        return retry_after
    if _count("org", str(organization.pk), window, index) > settings.SAML_LOGIN_RATE_PER_ORG:
        return retry_after
    return None

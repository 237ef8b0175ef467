"""Fixed-window counters in the shared cache, for the rate limits (SAML login starts, SCIM).

On Redis (``CACHE_URL``; ``config.cache``) one atomic round trip per count, so every worker on
every machine sees the same count; other caches (the database cache of a single machine,
locmem in tests) ``incr``, with an ``add`` for a window's first. A cache may evict a counter;
that only makes the limit lenient for the rest of its window, which is why no security decision
depends on one.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class WindowCount:
    count: int  # this request included
    retry_after: int  # whole seconds until the window ends, at least 1


def count_in_window(key: str, *, window: int, now: float | None = None) -> WindowCount:
    """Count one event under ``key`` in the current ``window``-second window (aligned to the
    epoch, so all processes agree on its bounds). Cache errors propagate to the caller."""
    now = time.time() if now is None else now
    index = int(now // window)
    retry_after = max(1, math.ceil(window - now % window))
    full_key = f"{key}:{index}"
    counter = getattr(cache, "count_in_window", None)  # config.cache.RedisCache
    if counter is not None:
        return WindowCount(count=counter(full_key, window + 5), retry_after=retry_after)
    try:
        count = cache.incr(full_key)
    except ValueError:  # the window's first event, or an evicted counter (lenient, never wrong)
        count = 1 if cache.add(full_key, 1, timeout=window + 5) else _incr_or_one(full_key)
    return WindowCount(count=count, retry_after=retry_after)


def _incr_or_one(key: str) -> int:
    """Another process added the counter just now; count on it (afresh if it is gone)."""
    try:
        return cache.incr(key)
    except ValueError:
        return 1

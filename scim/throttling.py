"""The per-token rate limit of the SCIM pipeline.

Each token may make its organization's ``scim_rate_limit_per_minute`` requests a minute
(``scim.services.organization_set_scim_rate_limit`` changes it). Requests are counted in
one-minute windows aligned to the clock, in the shared cache (``config.ratelimit``: Redis
through ``CACHE_URL`` in production), so the limit holds across workers and machines. Over it,
DRF raises ``Throttled`` and ``scim.errors`` answers 429 with ``Retry-After``, the whole seconds
until the window ends.

The cache serves back-pressure, not correctness: when it fails, requests pass and a warning is
logged, rather than SCIM going down with the cache. After a failure this process leaves the
cache alone for ``CACHE_RETRY_SECONDS``, so a hanging Redis neither slows every request by its
timeout nor writes a warning per request.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from rest_framework.throttling import BaseThrottle

from config.ratelimit import count_in_window

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
CACHE_RETRY_SECONDS = 10


class ScimTokenThrottle(BaseThrottle):
    cache_down_until = 0.0  # time.monotonic() before which this process does not count

    def allow_request(self, request: Any, view: Any) -> bool:
        context = getattr(request, "auth", None)
        if context is None or time.monotonic() < ScimTokenThrottle.cache_down_until:
            return True
        try:
            counted = count_in_window(f"scim:rate:{context.token.token_hash[:32]}",
                                      window=WINDOW_SECONDS)
        except Exception:  # any cache backend's failure: fail open
            ScimTokenThrottle.cache_down_until = time.monotonic() + CACHE_RETRY_SECONDS
            logger.warning("SCIM rate limit not counted for %s s: the cache is unavailable",
                           CACHE_RETRY_SECONDS, exc_info=True)
            return True
        self.retry_after = counted.retry_after
        return counted.count <= context.organization.scim_rate_limit_per_minute

    def wait(self) -> float | None:
        return getattr(self, "retry_after", None)

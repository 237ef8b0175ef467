"""The per-token rate limit hook of the SCIM pipeline.

Counted in the shared cache (``CACHE_URL``), so it holds across workers and machines. The budget
is ``SCIM_RATE_LIMIT`` (DRF's "N/period" form; unset means no limit here).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class ScimTokenThrottle(SimpleRateThrottle):
    scope = "scim"

    def get_rate(self) -> str | None:
        return getattr(settings, "SCIM_RATE_LIMIT", None)

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        context = getattr(request, "auth", None)
        return f"throttle:scim:{context.token.pk}" if context is not None else None

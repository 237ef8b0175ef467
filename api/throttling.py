"""The per-key rate limit of the API pipeline (the sibling of ``scim.throttling``).

Counted in the shared cache (``CACHE_URL``), so it holds across workers and machines. Each API
key has its own budget of ``API_RATE_LIMIT`` requests (DRF's "N/period" form; empty: no limit);
a session counts per user. Past it the API answers 429 with ``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from api.authentication import request_api_key


class ApiKeyThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self) -> str | None:
        return getattr(settings, "API_RATE_LIMIT", None) or None

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        key = request_api_key(request)
        if key is not None:
            return f"throttle:api:key:{key.pk}"
        user = getattr(request, "user", None)
        if getattr(user, "is_authenticated", False):
            return f"throttle:api:user:{user.pk}"
        return None

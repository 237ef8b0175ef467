"""``/healthz`` for load balancers and orchestrators: 200 when the database, the cache and the
job queue are fine, 503 otherwise. The body holds statuses only.

It is answered by a middleware placed before Django's security and host checks, so a health
checker that calls the instance by its IP over plain HTTP gets the answer rather than a 400 for
its Host header or a redirect to HTTPS. Three cheap probes, nothing else: ``SELECT 1``, a
set/get of a short-lived cache key of this process, and the age of the oldest task that is ready
to run (``JOBS_MAX_LAG_SECONDS``): a queue nobody works off, or works off too slowly, is not
healthy, as invitations would wait.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

logger = logging.getLogger(__name__)
PATH = "/healthz"
_CACHE_KEY = f"roster:healthz:{socket.gethostname()}:{os.getpid()}"


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise RuntimeError("SELECT 1 returned something else")


def check_cache() -> None:
    value = secrets.token_hex(8)
    cache.set(_CACHE_KEY, value, timeout=10)
    if cache.get(_CACHE_KEY) != value:
        raise RuntimeError("the cache did not return the value just set")


def check_jobs() -> None:
    from jobs.queue import oldest_ready_age

    age = oldest_ready_age(now=timezone.now())
    if age is not None and age.total_seconds() > settings.JOBS_MAX_LAG_SECONDS:
        raise RuntimeError(f"the oldest ready task waits for {age.total_seconds():.0f} s")


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database, "cache": check_cache, "jobs": check_jobs,
}


def healthz(request: HttpRequest) -> HttpResponse:
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception:  # a health check reports failures, it never raises them
            logger.exception("Health check %s failed", name)
            results[name] = "error"
    healthy = all(status == "ok" for status in results.values())
    response = JsonResponse({"status": "ok" if healthy else "error", "checks": results},
                            status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    """Answers ``GET``/``HEAD /healthz`` before host validation and the HTTPS redirect."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == PATH and request.method in ("GET", "HEAD"):
            return healthz(request)
        return self.get_response(request)

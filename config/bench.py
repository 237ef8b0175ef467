"""The benchmark's hooks (``make bench``, docs/performance.md), present only when the setting
``BENCH_FLOOR`` is on (environment ``BENCH_FLOOR=true``; never on by default):

- ``floor``: ``GET /bench/floor/?id=<membership id>``, one indexed SELECT answered as JSON by
  the same stack (gunicorn, middleware, PostgreSQL). What Django itself costs a request is the
  floor every SCIM request stands on; the benchmark reports Roster's speed as a ratio to it,
  a figure that holds on a noisy machine.
- ``QueryCountMiddleware``: every response carries ``X-Queries``, the number of SQL
  statements the request ran (authentication, throttling and rendering included), and
  ``X-CPU-Ms``, the CPU time the worker spent on it (not waiting for the database or for a
  core): what a request costs, whatever else the machine is doing; ``X-Wall-Ms``, the time
  the request spent in the worker (its CPU, its waits for the database, locks and commits,
  and for a core), so that the client's latency minus it is the time queued for a worker.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

from orgs.models import Membership


def floor(request: HttpRequest) -> HttpResponse:
    try:
        pk = uuid.UUID(request.GET.get("id", ""))
    except ValueError:
        return JsonResponse({"detail": "id must be a membership id."}, status=400)
    row = Membership.objects.filter(pk=pk).values("id", "email").first()
    return JsonResponse({"id": str(row["id"]), "email": row["email"]} if row else {},
                        status=200 if row else 404)


class QueryCountMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        count = 0
        cpu, wall = time.thread_time(), time.perf_counter()

        def counted(execute: Callable[..., Any], sql: str, params: Any, many: bool,
                    context: Any) -> Any:
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counted):
            response = self.get_response(request)
        response["X-Queries"] = str(count)
        response["X-CPU-Ms"] = f"{(time.thread_time() - cpu) * 1000:.2f}"
        response["X-Wall-Ms"] = f"{(time.perf_counter() - wall) * 1000:.2f}"
        return response

"""Reading and feeding the task queue: retries with backoff, and the queue's lag.

django-tasks runs a task once; retrying is ours: a failed attempt enqueues the next one with
``run_after`` set by exponential backoff, until a bounded number of attempts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Case, F, Min, When
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max


def backoff(attempt: int) -> timedelta:
    """Delay before attempt ``attempt + 1``: base, 2 x base, 4 x base, ... capped."""
    seconds = settings.JOBS_RETRY_BASE_SECONDS * 2 ** max(attempt - 1, 0)
    return timedelta(seconds=min(seconds, settings.JOBS_RETRY_MAX_SECONDS))


def retry_later(
    task: Any, *, attempt: int, max_attempts: int, now: datetime | None = None, **kwargs: Any
) -> datetime | None:
    """Enqueue attempt ``attempt + 1`` of ``task`` after the backoff; None when ``attempt``
    was the last one allowed (the caller gives up)."""
    if attempt >= max_attempts:
        return None
    run_after = (now or timezone.now()) + backoff(attempt)
    task.using(run_after=run_after).enqueue(attempt=attempt + 1, **kwargs)
    return run_after


def oldest_ready_age(*, now: datetime) -> timedelta | None:
    """How long the oldest task that may run now has been waiting (from its ``run_after``
    when deferred), in one indexed query; None when nothing waits."""
    due_since = Case(When(run_after=get_date_max(), then=F("enqueued_at")),
                     default=F("run_after"))
    oldest = DBTaskResult.objects.ready().aggregate(oldest=Min(due_since))["oldest"]
    return None if oldest is None else max(now - oldest, timedelta(0))

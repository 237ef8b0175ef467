"""The task that runs a periodic job, with retries."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string
from django_tasks import TaskContext, task

from config.request_context import request_context
from jobs.queue import retry_later

logger = logging.getLogger(__name__)


@task(takes_context=True)
def run_periodic_job(context: TaskContext, name: str, attempt: int = 1) -> Any:
    """Call the registered job ``name``; on failure retry with backoff, then wait for the next
    interval. A job removed from the registry since it was enqueued is skipped."""
    from jobs.registry import get_job

    job = get_job(name)
    if job is None:
        logger.warning("Periodic job %s is no longer registered; skipped", name)
        return None
    with request_context(request_id=f"job-{context.task_result.id}"):
        try:
            return import_string(job.call)(**job.kwargs)
        except Exception:
            retry_at = retry_later(run_periodic_job, attempt=attempt, name=name,
                                   max_attempts=settings.JOBS_PERIODIC_MAX_ATTEMPTS)
            if retry_at is None:
                logger.exception("Periodic job %s failed %d times; it runs again next interval",
                                 name, attempt)
            else:
                logger.warning("Periodic job %s failed (attempt %d), retrying at %s",
                               name, attempt, retry_at.isoformat(), exc_info=True)
            raise

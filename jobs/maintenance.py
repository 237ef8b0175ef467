"""The job machinery's own upkeep, run as a periodic job."""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command


def prune_task_results() -> None:
    """Delete finished task results older than ``JOBS_RESULT_RETENTION_DAYS`` (django-tasks-db's
    own ``prune_db_task_results``), so the queue table holds what is pending and recent."""
    call_command("prune_db_task_results", "--queue-name=*",
                 f"--min-age-days={settings.JOBS_RESULT_RETENTION_DAYS}", verbosity=0)

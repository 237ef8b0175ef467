"""Run django-tasks-db's own worker in the test process, for a bounded number of tasks."""

from __future__ import annotations

from datetime import timedelta

from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult, get_date_max
from django_tasks_db.utils import exclusive_transaction


def _worker(max_tasks: int) -> Worker:
    return Worker(
        queue_names=["*"], interval=0, batch=True, backend_name="default",
        startup_delay=False, max_tasks=max_tasks, worker_id="pytest", excluded_queue_names=[],
    )


def run_jobs(max_tasks: int = 50) -> int:
    """Work off the tasks that are ready now, at most ``max_tasks``; return how many ran.

    The worker's own claim and ``run_task``, without its loop, whose connection recycling
    would close the connection of a test running inside a transaction."""
    worker = _worker(max_tasks)
    ran = 0
    while ran < max_tasks:
        with exclusive_transaction():
            task = DBTaskResult.objects.ready().get_locked()
            if task is None:
                break
            task.claim(worker.worker_id)
        worker.run_task(task)
        ran += 1
    return ran


def run_worker(max_tasks: int = 50) -> int:
    """The worker's whole loop in batch mode (tests with ``transaction=True`` only)."""
    worker = _worker(max_tasks)
    worker.run()
    return worker._run_tasks


def advance_clock(delta: timedelta) -> None:
    """Let ``delta`` pass for the queue: deferred tasks become due that much sooner."""
    for task in DBTaskResult.objects.filter(status="READY").exclude(run_after=get_date_max()):
        DBTaskResult.objects.filter(pk=task.pk).update(run_after=task.run_after - delta)


def ready_tasks() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(status="READY").order_by("run_after"))

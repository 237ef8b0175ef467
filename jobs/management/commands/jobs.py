"""``manage.py jobs``: the task worker and the periodic-job scheduler in one process.

The worker is django-tasks-db's own (``manage.py db_worker``, with all its options); the
scheduler checks every ``--scheduler-interval`` seconds in a thread beside it. ``make run``
and ``make serve`` start this; on larger installations run ``db_worker`` processes and
``run_scheduler`` separately, as many of each as needed.
"""

from __future__ import annotations

from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from jobs.loop import SchedulerLoop


class Command(DbWorkerCommand):
    help = "Run the background task worker and the periodic-job scheduler together."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("--scheduler-interval", type=float, default=30.0,
                            help="seconds between scheduler checks (default 30)")

    def handle(self, *args: Any, **opts: Any) -> None:
        opts["reload"] = False  # a reloader would restart the worker but not the scheduler
        SchedulerLoop(interval=opts.pop("scheduler_interval")).start_thread()
        super().handle(*args, **opts)

"""``manage.py run_scheduler [--once] [--interval S]``: enqueue periodic jobs when due.

Run it beside ``manage.py db_worker`` (or run ``manage.py jobs``, which runs both). Several
schedulers may run at once: each run is enqueued by exactly one of them.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jobs.loop import SchedulerLoop


class Command(BaseCommand):
    help = "Enqueue the periodic jobs (jobs.registry) when they are due."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true",
                            help="check once and exit (e.g. from cron)")
        parser.add_argument("--interval", type=float, default=30.0,
                            help="seconds between checks (default 30)")

    def handle(self, *args: Any, **opts: Any) -> None:
        loop = SchedulerLoop(interval=opts["interval"])
        if opts["once"]:
            names = loop.check()
            self.stdout.write(f"Enqueued {len(names)} periodic job(s): {', '.join(names) or '-'}")
            return
        loop.run_forever()

"""The scheduler's loop, run alone (``run_scheduler``) or in a thread beside the task worker
(``jobs``)."""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections, connection
from django.utils import timezone

from jobs.scheduler import tick

logger = logging.getLogger("jobs.scheduler")


class SchedulerLoop:
    def __init__(self, *, interval: float) -> None:
        self.interval = interval
        self.stopped = threading.Event()

    def check(self) -> list[str]:
        try:
            return tick(now=timezone.now())
        except Exception:  # a database hiccup must not end the loop; the next check retries
            logger.exception("Scheduler check failed")
            return []

    def run_forever(self) -> None:
        logger.info("Scheduler started, checking every %s s", self.interval)
        try:
            while not self.stopped.is_set():
                close_old_connections()  # like a request: drop a broken or too old connection
                self.check()
                self.stopped.wait(self.interval)
        finally:
            connection.close()

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, name="scheduler", daemon=True)
        thread.start()
        return thread

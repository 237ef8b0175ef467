"""The periodic-job scheduler: django-tasks runs tasks but schedules none, so this small loop
enqueues each registered job (``jobs.registry``) when it is due.

Safe with any number of schedulers running: each job has one ``PeriodicJobState`` row, and a
scheduler enqueues a run only if its conditional UPDATE moved ``next_run_at`` from the value it
read (compare-and-set), in the same transaction as the enqueue, so the claim and the task commit
together. A scheduler that was down catches up with one run, not one per missed interval.
Time is passed in (``tick(now=...)``), so tests never sleep.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from jobs.models import PeriodicJobState

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    call: str  # dotted path of the callable
    kwargs: dict[str, Any] = field(default_factory=dict)


def next_slot(due: datetime, every: timedelta, now: datetime) -> datetime:
    """The first slot after ``now`` on the grid ``due + k * every``."""
    missed = (now - due) // every
    return due + (missed + 1) * every


def claim(job: PeriodicJob, *, seen: datetime, now: datetime) -> bool:
    """Enqueue the run due at ``seen`` (the ``next_run_at`` this scheduler read) unless another
    scheduler claimed it first; the claim and the enqueue commit together."""
    from jobs.tasks import run_periodic_job

    with transaction.atomic():
        claimed = PeriodicJobState.objects.filter(name=job.name, next_run_at=seen).update(
            next_run_at=next_slot(seen, job.every, now), last_enqueued_at=now
        )
        if claimed:
            run_periodic_job.enqueue(name=job.name)
    return bool(claimed)


def tick(*, now: datetime, jobs: Iterable[PeriodicJob] | None = None) -> list[str]:
    """Enqueue every job that is due at ``now``; return the names this call enqueued."""
    from jobs.registry import PERIODIC_JOBS

    enqueued = []
    for job in PERIODIC_JOBS if jobs is None else jobs:
        state, _ = PeriodicJobState.objects.get_or_create(
            name=job.name, defaults={"next_run_at": now}
        )
        if state.next_run_at <= now and claim(job, seen=state.next_run_at, now=now):
            logger.info("Enqueued periodic job %s", job.name)
            enqueued.append(job.name)
    return enqueued

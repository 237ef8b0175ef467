"""The periodic-job scheduler: due jobs are enqueued once per interval, whatever the number
of schedulers; the job runner retries a failing job. Time is passed in, never slept."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django_tasks_db.models import DBTaskResult

from jobs import registry
from jobs.models import PeriodicJobState
from jobs.scheduler import PeriodicJob, claim, next_slot, tick
from tests.jobs import fake_jobs
from tests.jobs.worker import advance_clock, ready_tasks, run_jobs

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
HOURLY = PeriodicJob("test.hourly", timedelta(hours=1), "tests.jobs.fake_jobs.record",
                     {"label": "hourly"})
DAILY = PeriodicJob("test.daily", timedelta(days=1), "tests.jobs.fake_jobs.record")
FLAKY = PeriodicJob("test.flaky", timedelta(days=1), "tests.jobs.fake_jobs.flaky")


@pytest.fixture(autouse=True)
def fake_registry(monkeypatch):
    monkeypatch.setattr(registry, "PERIODIC_JOBS", (HOURLY, DAILY, FLAKY))
    fake_jobs.calls.clear()
    fake_jobs.fail_times = 0


def queued() -> list[str]:
    return [t.args_kwargs["kwargs"]["name"] for t in ready_tasks()]


def test_next_slot_stays_on_the_grid_and_skips_missed_runs():
    every = timedelta(hours=1)
    assert next_slot(T0, every, T0) == T0 + every
    assert next_slot(T0, every, T0 + timedelta(minutes=59)) == T0 + every
    assert next_slot(T0, every, T0 + timedelta(hours=5, minutes=1)) == T0 + timedelta(hours=6)


@pytest.mark.django_db
def test_each_job_is_enqueued_once_per_interval():
    assert tick(now=T0, jobs=[HOURLY, DAILY]) == ["test.hourly", "test.daily"]
    assert tick(now=T0, jobs=[HOURLY, DAILY]) == []
    assert tick(now=T0 + timedelta(minutes=59), jobs=[HOURLY, DAILY]) == []
    assert tick(now=T0 + timedelta(hours=1), jobs=[HOURLY, DAILY]) == ["test.hourly"]
    # The scheduler was down for 30 hours: one catch-up run each, then back on the grid.
    later = T0 + timedelta(hours=31, minutes=10)
    assert tick(now=later, jobs=[HOURLY, DAILY]) == ["test.hourly", "test.daily"]
    assert PeriodicJobState.objects.get(name="test.hourly").next_run_at == T0 + timedelta(hours=32)
    assert PeriodicJobState.objects.get(name="test.daily").next_run_at == T0 + timedelta(days=2)
    assert queued() == ["test.hourly", "test.daily", "test.hourly", "test.hourly", "test.daily"]


@pytest.mark.django_db
def test_a_slot_another_scheduler_claimed_is_not_enqueued_again():
    tick(now=T0, jobs=[DAILY])
    seen = PeriodicJobState.objects.get(name="test.daily").next_run_at
    later = seen + timedelta(minutes=1)
    assert claim(DAILY, seen=seen, now=later) is True  # scheduler A
    assert claim(DAILY, seen=seen, now=later) is False  # scheduler B read the same row
    assert queued() == ["test.daily", "test.daily"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers")
def test_schedulers_running_at_once_enqueue_each_run_once():
    barrier = threading.Barrier(6)
    results: list[list[str]] = []

    def scheduler() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(tick(now=T0, jobs=[HOURLY, DAILY]))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scheduler) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(results) == 6
    assert sorted(name for names in results for name in names) == ["test.daily", "test.hourly"]
    assert sorted(queued()) == ["test.daily", "test.hourly"]


@pytest.mark.django_db
def test_the_worker_runs_the_job_and_retries_a_failure_with_backoff(settings):
    settings.JOBS_RETRY_BASE_SECONDS, settings.JOBS_PERIODIC_MAX_ATTEMPTS = 60, 3
    tick(now=T0, jobs=[HOURLY])
    assert run_jobs() == 1
    assert fake_jobs.calls == ["hourly"]

    fake_jobs.fail_times = 5
    tick(now=T0, jobs=[FLAKY])
    assert run_jobs() == 1
    [retry] = ready_tasks()
    assert retry.args_kwargs["kwargs"] == {"name": "test.flaky", "attempt": 2}
    for _ in range(4):
        advance_clock(timedelta(minutes=10))
        run_jobs()
    # Three attempts, then it waits for its next interval.
    assert fake_jobs.calls == ["hourly", "flaky", "flaky", "flaky"]
    assert ready_tasks() == []
    statuses = DBTaskResult.objects.filter(args_kwargs__kwargs__name="test.flaky")
    assert sorted(statuses.values_list("status", flat=True)) == ["FAILED"] * 3


@pytest.mark.django_db
def test_a_job_removed_from_the_registry_is_skipped(monkeypatch):
    tick(now=T0, jobs=[DAILY])
    monkeypatch.setattr(registry, "PERIODIC_JOBS", ())
    assert run_jobs() == 1
    assert fake_jobs.calls == []


@pytest.mark.django_db
def test_run_scheduler_once_enqueues_what_is_due():
    out = StringIO()
    call_command("run_scheduler", "--once", stdout=out)
    assert out.getvalue() == "Enqueued 3 periodic job(s): test.hourly, test.daily, test.flaky\n"
    out = StringIO()
    call_command("run_scheduler", "--once", stdout=out)
    assert out.getvalue() == "Enqueued 0 periodic job(s): -\n"



@pytest.mark.django_db
def test_finished_task_results_are_pruned_after_the_retention(settings):
    from django.utils import timezone

    from jobs.maintenance import prune_task_results

    settings.JOBS_RESULT_RETENTION_DAYS = 30
    for _ in range(3):
        tick(now=T0, jobs=[HOURLY])
        PeriodicJobState.objects.all().delete()
    run_jobs()
    old, recent, _ = DBTaskResult.objects.order_by("enqueued_at")
    DBTaskResult.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=31))
    DBTaskResult.objects.filter(pk=recent.pk).update(
        finished_at=timezone.now() - timedelta(days=29))
    tick(now=T0, jobs=[HOURLY])  # one still pending
    prune_task_results()
    assert DBTaskResult.objects.count() == 3
    assert not DBTaskResult.objects.filter(pk=old.pk).exists()

"""The daily token-expiry job: the scheduler enqueues it, the worker sends each notice once,
and a notice SMTP refused is retried by the job (the command keeps working on its own)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from jobs.registry import PERIODIC_JOBS
from jobs.scheduler import tick
from orgs.models import AuditEvent
from tests.factories import AdminMembershipFactory, ScimTokenFactory
from tests.jobs.flaky_smtp import FlakySmtp
from tests.jobs.worker import advance_clock, ready_tasks, run_jobs

pytestmark = pytest.mark.django_db


JOB = next(j for j in PERIODIC_JOBS if j.name == "scim.token_expiry_notices")


def test_registered_daily():
    assert (JOB.every, JOB.call) == (timedelta(days=1), "scim.tasks.notify_expiring_tokens")


def test_the_scheduled_job_notifies_each_expiring_token_once(org, settings):
    settings.EMAIL_BACKEND = "tests.jobs.flaky_smtp.FlakySmtpBackend"
    FlakySmtp.down_for(1)
    AdminMembershipFactory(organization=org, user__email="zoe@acme.example")
    token = ScimTokenFactory(organization=org, prefix="rst_scim_soon01",
                             expires_at=timezone.now() + timedelta(days=5))
    ScimTokenFactory(organization=org, expires_at=timezone.now() + timedelta(days=30))
    now = timezone.now()

    assert tick(now=now, jobs=[JOB]) == ["scim.token_expiry_notices"]
    assert run_jobs() == 1  # SMTP refuses: nothing marked, the job retries
    assert mail.outbox == []
    assert [t.args_kwargs["kwargs"] for t in ready_tasks()] == [
        {"name": "scim.token_expiry_notices", "attempt": 2}
    ]
    advance_clock(timedelta(minutes=5))
    assert run_jobs() == 1
    assert [m.to for m in mail.outbox] == [["zoe@acme.example"]]
    assert "rst_scim_soon01" in mail.outbox[0].subject
    event = AuditEvent.objects.get(action="scim.token.expiry_notified")
    assert (event.target_id, event.actor_kind, event.actor_label) == (
        str(token.pk), "system", "scheduler"
    )

    assert tick(now=now + timedelta(hours=23), jobs=[JOB]) == []
    assert tick(now=now + timedelta(days=1), jobs=[JOB]) == ["scim.token_expiry_notices"]
    assert run_jobs() == 1
    assert len(mail.outbox) == 1  # a notified token is never notified again
    FlakySmtp.down_for(0)


def test_every_registered_job_runs(org):
    """Each entry of jobs.registry imports and runs to success on a quiet database."""
    from django_tasks_db.models import DBTaskResult

    names = tick(now=timezone.now())
    assert names == [job.name for job in PERIODIC_JOBS]
    assert run_jobs() == len(PERIODIC_JOBS)
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}

"""Invitation emails are background jobs: an SMTP outage neither fails nor slows a SCIM create,
the job retries with backoff, and the invitation arrives exactly once after SMTP recovers."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jobs.delivery import deliver_once
from jobs.models import Delivery
from orgs import services
from orgs.models import AuditEvent, Membership
from orgs.services.invitations import invitation_enqueue
from tests.jobs.flaky_smtp import FlakySmtp
from tests.jobs.worker import advance_clock, ready_tasks, run_jobs, run_worker
from tests.scim.conftest import scim_body

FLAKY = "tests.jobs.flaky_smtp.FlakySmtpBackend"


@pytest.fixture
def smtp(settings):
    settings.EMAIL_BACKEND = FLAKY
    settings.JOBS_RETRY_BASE_SECONDS = 30
    settings.JOBS_RETRY_MAX_SECONDS = 3600
    FlakySmtp.down_for(0)
    yield FlakySmtp
    FlakySmtp.down_for(0)


def task_rows() -> list[tuple[int, str]]:
    rows = DBTaskResult.objects.filter(task_path="orgs.tasks.send_invitation")
    return sorted((r.args_kwargs["kwargs"].get("attempt", 1), r.status) for r in rows)


@pytest.mark.django_db(transaction=True)
def test_smtp_outage_neither_fails_nor_slows_a_scim_create_and_the_invitation_arrives_once(
    smtp, scim, org
):
    smtp.down_for(2, delay=0.5)  # each failed send hangs 0.5 s, as a dead SMTP server does

    started = time.monotonic()
    response = scim.post("/Users", {"userName": "jane@acme.example"})
    elapsed = time.monotonic() - started
    assert response.status_code == 201
    assert elapsed < 0.5, f"the create took {elapsed:.2f} s: it waited for SMTP"
    uid = scim_body(response)["id"]
    assert (smtp.attempts, mail.outbox) == (0, [])  # nothing was sent inside the request
    assert [t.args_kwargs["kwargs"] for t in ready_tasks()] == [{"membership_id": uid}]

    # Attempt 1 fails and schedules attempt 2 after the backoff (30 s); nothing runs before.
    assert run_worker() == 1
    assert (smtp.attempts, mail.outbox) == (1, [])
    [retry] = ready_tasks()
    assert retry.args_kwargs["kwargs"] == {"membership_id": uid, "attempt": 2}
    assert timedelta(seconds=25) < retry.run_after - retry.enqueued_at < timedelta(seconds=35)
    assert run_worker() == 0

    advance_clock(timedelta(seconds=30))
    assert run_worker() == 1  # attempt 2 fails too; attempt 3 waits 60 s
    assert (smtp.attempts, mail.outbox) == (2, [])
    advance_clock(timedelta(seconds=59))
    assert run_worker() == 0
    advance_clock(timedelta(seconds=1))
    assert run_worker() == 1  # SMTP is back

    assert [m.to for m in mail.outbox] == [["jane@acme.example"]]
    assert "Acme" in mail.outbox[0].subject
    assert task_rows() == [(1, "FAILED"), (2, "FAILED"), (3, "SUCCESSFUL")]
    assert ready_tasks() == []

    # Once sent, never again: a duplicate job (a retry racing a success) sends nothing.
    invitation_enqueue(membership_id=uid)
    assert run_worker() == 1
    assert len(mail.outbox) == 1
    assert Delivery.objects.get(key=f"invitation:{uid}").attempts == 3
    assert not AuditEvent.objects.filter(action="membership.invitation_failed").exists()


@pytest.mark.django_db
def test_gives_up_after_the_last_attempt_with_a_log_line_and_an_audit_event(
    smtp, org, actor, settings, caplog, django_capture_on_commit_callbacks
):
    settings.INVITATION_MAX_ATTEMPTS = 3
    smtp.down_for(100)
    with django_capture_on_commit_callbacks(execute=True):  # an admin's add
        member = services.membership_add(organization=org, email="bob@acme.example", actor=actor)
    with caplog.at_level(logging.WARNING):
        for _ in range(5):
            run_jobs()
            advance_clock(timedelta(hours=2))
    assert smtp.attempts == 3
    assert task_rows() == [(1, "FAILED"), (2, "FAILED"), (3, "FAILED")]
    assert ready_tasks() == []
    assert mail.outbox == []
    event = AuditEvent.objects.get(action="membership.invitation_failed")
    assert (event.organization, event.target_id, event.actor_kind, event.actor_label) == (
        org, str(member.pk), "system", "jobs"
    )
    assert event.data == {"email": "bob@acme.example", "attempts": 3,
                          "error": "SMTPServerDisconnected: Connection unexpectedly closed"}
    assert (f"Giving up on the invitation of membership {member.pk} after 3 attempts: "
            "SMTPServerDisconnected") in caplog.messages


def test_backoff_doubles_and_is_capped(settings):
    from jobs.queue import backoff

    settings.JOBS_RETRY_BASE_SECONDS, settings.JOBS_RETRY_MAX_SECONDS = 30, 3600
    assert [backoff(n).total_seconds() for n in range(1, 10)] == [
        30, 60, 120, 240, 480, 960, 1920, 3600, 3600,
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["deactivated", "accepted", "deleted"])
def test_a_moot_invitation_is_not_sent(smtp, org, actor, change):
    member = services.membership_add(organization=org, email="amy@acme.example", actor=actor,
                                     send_invitation=False)
    invitation_enqueue(membership_id=member.pk)
    if change == "deleted":
        Membership.objects.filter(pk=member.pk).delete()
    else:
        Membership.objects.filter(pk=member.pk).update(
            **({"is_active": False} if change == "deactivated" else {"status": "accepted"}))
    assert run_jobs() == 1
    assert mail.outbox == []
    assert DBTaskResult.objects.get().return_value == "skipped"


@pytest.mark.django_db
def test_a_delivery_held_by_a_live_sender_is_left_to_it():
    sent: list[str] = []
    Delivery.objects.create(key="k", claimed_until=timezone.now() + timedelta(minutes=5))
    assert deliver_once(key="k", send=lambda: sent.append("x")) == "busy"
    Delivery.objects.filter(key="k").update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert deliver_once(key="k", send=lambda: sent.append("x")) == "sent"  # its lease expired
    assert deliver_once(key="k", send=lambda: sent.append("x")) == "already_sent"
    assert sent == ["x"]


@pytest.mark.django_db
def test_a_failed_send_releases_the_claim_for_the_retry():
    def fail() -> None:
        raise ConnectionRefusedError("SMTP is down")

    with pytest.raises(ConnectionRefusedError):
        deliver_once(key="k", send=fail)
    delivery = Delivery.objects.get(key="k")
    assert (delivery.claimed_until, delivery.sent_at, delivery.attempts) == (None, None, 1)
    assert deliver_once(key="k", send=lambda: None) == "sent"


@pytest.mark.django_db(transaction=True)
def test_the_invitation_is_queued_with_the_membership_or_not_at_all(smtp, org, actor):
    """The job's row is written in the transaction that adds the member (an outbox): a create
    that rolls back after the insert queues nothing, one that commits queues exactly one."""
    from django.db import transaction

    class Refused(Exception):
        pass

    with pytest.raises(Refused), transaction.atomic():
        services.membership_insert(organization=org, email="gone@acme.example",
                                   send_invitation=True)
        assert task_rows() == [(1, "READY")]  # visible to this transaction only
        raise Refused
    assert task_rows() == [] and not Membership.objects.filter(email="gone@acme.example")
    kept = services.membership_insert(organization=org, email="kept@acme.example",
                                      send_invitation=True)
    assert [t.args_kwargs["kwargs"] for t in ready_tasks()] == [{"membership_id": str(kept.pk)}]
    assert run_worker() == 1 and [m.to for m in mail.outbox] == [["kept@acme.example"]]

"""Retention of the SCIM request log: an hourly periodic job deletes the rows older than
SCIM_REQUEST_LOG_RETENTION_DAYS, in batches."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jobs.registry import PERIODIC_JOBS
from jobs.scheduler import tick
from scim.models import ScimRequest
from scim.services import scim_request_log_prune
from tests.factories import ScimRequestFactory
from tests.jobs.worker import run_jobs

pytestmark = pytest.mark.django_db

JOB = next(j for j in PERIODIC_JOBS if j.name == "scim.request_log_prune")


def _rows(org, ages_in_days: list[float]) -> None:
    now = timezone.now()
    for age in ages_in_days:
        ScimRequestFactory(organization=org, created_at=now - dt.timedelta(days=age),
                           path=f"/scim/v2/Users/{age}")


def test_registered_hourly():
    assert (JOB.every, JOB.call) == (dt.timedelta(hours=1), "scim.tasks.prune_request_log")


def test_prune_deletes_only_older_rows_in_batches(org, other_org):
    _rows(org, [0, 1, 29.9, 30.1, 31, 400])
    _rows(other_org, [45])
    ScimRequestFactory(organization=None, created_at=timezone.now() - dt.timedelta(days=90))
    cutoff = timezone.now() - dt.timedelta(days=30)
    assert scim_request_log_prune(older_than=cutoff, batch_size=2) == 5
    assert sorted(ScimRequest.objects.values_list("path", flat=True)) == [
        "/scim/v2/Users/0", "/scim/v2/Users/1", "/scim/v2/Users/29.9"]
    assert scim_request_log_prune(older_than=cutoff) == 0


def test_the_job_keeps_the_configured_number_of_days(org, settings):
    settings.SCIM_REQUEST_LOG_RETENTION_DAYS = 7
    _rows(org, [1, 6.9, 7.1, 20])
    assert tick(now=timezone.now(), jobs=[JOB]) == ["scim.request_log_prune"]
    assert run_jobs() == 1
    assert sorted(ScimRequest.objects.values_list("path", flat=True)) == [
        "/scim/v2/Users/1", "/scim/v2/Users/6.9"]

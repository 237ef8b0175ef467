"""``/healthz``: statuses only, no login, answered to a load balancer's health checker whatever
Host it sends and over plain HTTP; 503 when the cache fails or the job queue lags."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from orgs.services.invitations import invitation_enqueue

pytestmark = pytest.mark.django_db
OK = {"status": "ok", "checks": {"database": "ok", "cache": "ok", "jobs": "ok"}}


def test_healthy_answers_200_with_statuses_only(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert json.loads(response.content) == OK
    assert client.head("/healthz").status_code == 200


def test_answers_a_health_checker_by_ip_over_plain_http(client, settings):
    settings.ALLOWED_HOSTS = ["roster.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="10.0.3.7:8000")
    assert response.status_code == 200
    assert json.loads(response.content) == OK
    # Every other path still gets the host check and the HTTPS redirect.
    assert client.get("/admin/login/", HTTP_HOST="10.0.3.7:8000").status_code == 400
    assert client.get("/admin/login/", HTTP_HOST="roster.example.com").status_code == 301


def test_costs_two_queries_beside_the_cache(client, settings, django_assert_num_queries):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with django_assert_num_queries(2):  # SELECT 1 and the oldest ready task
        assert client.get("/healthz").status_code == 200


def test_a_lagging_job_queue_is_unhealthy(client, settings, org, actor):
    settings.JOBS_MAX_LAG_SECONDS = 300
    invitation_enqueue(membership_id="00000000-0000-0000-0000-000000000000")
    task = DBTaskResult.objects.get()
    DBTaskResult.objects.filter(pk=task.pk).update(
        enqueued_at=timezone.now() - timedelta(seconds=250))
    assert client.get("/healthz").status_code == 200  # waiting, but not too long
    DBTaskResult.objects.filter(pk=task.pk).update(
        enqueued_at=timezone.now() - timedelta(seconds=301))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content) == {
        "status": "error", "checks": {"database": "ok", "cache": "ok", "jobs": "error"}}


def test_a_deferred_retry_counts_from_when_it_is_due(client, settings):
    settings.JOBS_MAX_LAG_SECONDS = 300
    from orgs.tasks import send_invitation

    due_later = timezone.now() + timedelta(minutes=30)
    send_invitation.using(run_after=due_later).enqueue(membership_id="x", attempt=2)
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(hours=1))
    assert client.get("/healthz").status_code == 200  # not due yet: no lag


def test_a_failing_cache_is_unhealthy(client, settings, tmp_path):
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(not_a_directory / "cache"),
    }}
    response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content)["checks"] == {
        "database": "ok", "cache": "error", "jobs": "ok"}

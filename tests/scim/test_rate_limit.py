"""Back-pressure: each SCIM token may make its organization's budget of requests a minute,
counted in the shared cache; over it, 429 with an integer Retry-After and a SCIM error body.
The budget is the organization's, changed through one audited service; a cache that is down
lets SCIM through."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from rest_framework.exceptions import Throttled

from orgs.audit import Actor
from orgs.exceptions import InvalidInput
from orgs.models import DEFAULT_SCIM_RATE_LIMIT, AuditEvent, Organization
from scim.errors import to_scim_error
from scim.models import ScimRequest
from scim.services import organization_set_scim_rate_limit, scim_token_create
from scim.throttling import ScimTokenThrottle
from tests.scim.conftest import ScimClient, error, scim_body
from tests.scim.ratelimit_helpers import fresh_window

pytestmark = pytest.mark.django_db

TOO_MANY = error(429, "Too many requests with this token; retry later.")


def budget(org: Organization, per_minute: int) -> None:
    """Set the scene: a budget below the service's minimum keeps these tests short."""
    Organization.objects.filter(pk=org.pk).update(scim_rate_limit_per_minute=per_minute)


def test_the_default_budget_is_far_above_what_idps_send(org):
    assert org.scim_rate_limit_per_minute == DEFAULT_SCIM_RATE_LIMIT == 6000
    assert DEFAULT_SCIM_RATE_LIMIT / 60 >= 4 * 25  # four times Entra's 25 requests a second


def test_over_the_budget_is_429_with_an_integer_retry_after_and_a_scim_body(scim, org):
    budget(org, 3)
    fresh_window()
    assert [scim.get("/Users").status_code for _ in range(3)] == [200, 200, 200]
    response = scim.get("/Users")
    assert response.status_code == 429
    assert scim_body(response) == TOO_MANY
    assert response["Retry-After"].isdigit() and 1 <= int(response["Retry-After"]) <= 60
    # Every verb counts, and a refused request does not reset the window.
    assert scim.post("/Users", {"userName": "late@example.com"}).status_code == 429
    assert ScimRequest.objects.filter(organization=org, status=429).count() == 2


def test_the_budget_is_per_token(scim, org, other_scim):
    budget(org, 2)
    fresh_window()
    second = ScimClient(Client(), scim_token_create(
        organization=org, actor=Actor.system(), description="Second").plaintext)
    assert [scim.get("/Users").status_code for _ in range(3)] == [200, 200, 429]
    assert second.get("/Users").status_code == 200
    assert other_scim.get("/Users").status_code == 200  # another org's token, its own budget


def test_a_changed_budget_applies_to_the_next_request(scim, org, actor):
    organization_set_scim_rate_limit(organization=org, per_minute=60, actor=actor)
    fresh_window(15)
    assert {scim.get("/Users?count=1").status_code for _ in range(60)} == {200}
    assert scim.get("/Users?count=1").status_code == 429
    organization_set_scim_rate_limit(organization=org, per_minute=120, actor=actor)
    assert scim.get("/Users?count=1").status_code == 200


def test_a_cache_that_is_down_lets_scim_through_with_one_warning(
    scim, org, settings, caplog, monkeypatch
):
    monkeypatch.setattr(ScimTokenThrottle, "cache_down_until", 0.0)
    settings.CACHES = {"default": {  # nothing listens on port 1: refused at once
        "BACKEND": "config.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }}
    budget(org, 1)
    with caplog.at_level(logging.WARNING, logger="scim.throttling"):
        assert [scim.get("/Users").status_code for _ in range(3)] == [200, 200, 200]
    warnings = [r for r in caplog.records if r.name == "scim.throttling"]
    assert [r.getMessage() for r in warnings] == [
        "SCIM rate limit not counted for 10 s: the cache is unavailable"]
    assert ScimRequest.objects.filter(organization=org, status=200).count() == 3


@pytest.mark.parametrize("wait,header", [(None, "1"), (0.2, "1"), (1.0, "1"), (59.2, "60")])
def test_retry_after_is_whole_seconds_never_early(wait, header):
    error_ = to_scim_error(Throttled(wait=wait))
    assert (error_.status, error_.headers) == (429, {"Retry-After": header})


# --- the service -------------------------------------------------------------------------------


def test_the_service_sets_and_audits_the_budget(org, actor):
    organization_set_scim_rate_limit(organization=org, per_minute=1500, actor=actor)
    org.refresh_from_db()
    assert org.scim_rate_limit_per_minute == 1500
    event = AuditEvent.objects.get(action="org.scim.rate_limit_changed")
    assert (event.organization, event.data, event.actor_kind) == (
        org, {"per_minute": [6000, 1500]}, "operator")
    organization_set_scim_rate_limit(organization=org, per_minute=1500, actor=actor)
    assert AuditEvent.objects.filter(action="org.scim.rate_limit_changed").count() == 1


@pytest.mark.parametrize("value,message", [
    (59, "The SCIM rate limit must be between 60 and 60,000 requests per minute."),
    (60_001, "The SCIM rate limit must be between 60 and 60,000 requests per minute."),
    (0, "The SCIM rate limit must be between 60 and 60,000 requests per minute."),
    (True, "The SCIM rate limit must be a whole number of requests per minute."),
    ("600", "The SCIM rate limit must be a whole number of requests per minute."),
    (600.0, "The SCIM rate limit must be a whole number of requests per minute."),
])
def test_the_service_refuses_a_budget_out_of_bounds(org, actor, value, message):
    with pytest.raises(InvalidInput) as refused:
        organization_set_scim_rate_limit(organization=org, per_minute=value, actor=actor)
    assert refused.value.message == message
    org.refresh_from_db()
    assert org.scim_rate_limit_per_minute == 6000
    assert not AuditEvent.objects.filter(action="org.scim.rate_limit_changed").exists()

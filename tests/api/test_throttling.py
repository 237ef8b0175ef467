"""Per-key throttling in the shared cache: past API_RATE_LIMIT, 429 with Retry-After, for that
key only."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from tests.api.conftest import ApiClient, error, make_key

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_counters():
    cache.clear()
    yield
    cache.clear()


def test_past_the_budget_a_key_gets_429_with_retry_after(api, org, org_admin, settings):
    settings.API_RATE_LIMIT = "3/minute"
    for _ in range(3):
        assert api.get("/organizations/acme/").status_code == 200
    response = api.get("/organizations/acme/")
    assert response.status_code == 429
    assert response.json() == error("throttled")
    assert 1 <= int(response["Retry-After"]) <= 60
    # Another key of the same person has its own budget.
    second = ApiClient(Client(), make_key(org_admin.user, orgs=[org]))
    assert second.get("/organizations/acme/").status_code == 200


def test_writes_count_too_and_nothing_is_written_when_throttled(api, org, settings):
    settings.API_RATE_LIMIT = "1/minute"
    assert api.patch("/organizations/acme/", {"name": "One"}).status_code == 200
    response = api.patch("/organizations/acme/", {"name": "Two"})
    assert response.status_code == 429
    org.refresh_from_db()
    assert org.name == "One"


def test_an_empty_limit_means_no_limit(api, org, settings):
    settings.API_RATE_LIMIT = ""
    assert all(api.get("/organizations/").status_code == 200 for _ in range(20))

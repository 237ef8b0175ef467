"""SAML's one-time state is in the database: a flood of login starts or a cache that evicts
cannot bring a spent assertion back, login starts are rate-limited, and pending requests are
capped per organization."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache, caches
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from config.settings import cache_settings
from sso.models import SamlConsumedAssertion, SamlPendingRequest
from tests.factories import MembershipFactory, UserFactory
from tests.sso.conftest import (
    assert_refused,
    connect,
    good_response,
    post_acs,
    start_login,
)
from tests.sso.idp import authn_request_from_redirect

pytestmark = pytest.mark.django_db

MAX_ENTRIES = 20


@pytest.fixture
def member(saml_org):
    user = UserFactory(email="test.user@okta.local", setup_completed_at=dt.datetime.now(dt.UTC))
    return MembershipFactory(organization=saml_org, user=user)


def cache_entries() -> int:
    """How many keys the default cache holds right now (database or locmem cache)."""
    backend = caches["default"]
    if hasattr(backend, "_cache"):  # locmem
        return len(backend._cache)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {backend._table}")
        return cursor.fetchone()[0]


@pytest.mark.parametrize("cache_url", ["", "locmem://"], ids=["database-cache", "locmem"])
def test_a_flood_of_login_starts_past_the_cache_cull_does_not_revive_a_spent_assertion(
    client, settings, saml_org, member, idp, cache_url
):
    """The attack of issue 8: with CACHE_URL unset (the database cache) a few hundred login
    starts culled the spent assertion ids, and a used response signed the person in again."""
    small = cache_settings(cache_url)
    small["default"]["OPTIONS"] = {"MAX_ENTRIES": MAX_ENTRIES, "CULL_FREQUENCY": 3}
    settings.CACHES = small
    call_command("createcachetable", verbosity=0)  # made by a migration only for CACHE_URL=""
    cache.clear()
    used = good_response(idp, saml_org, member.user.email)
    assert post_acs(client, saml_org, used).status_code == 302
    client.logout()
    start = start_login(client, saml_org)  # an honest login, still pending during the flood
    request_id, relay_state, _ = authn_request_from_redirect(start["Location"])

    flood = 10 * MAX_ENTRIES  # each from its own address: a new rate-limit key every time
    for i in range(flood):
        response = start_login(client, saml_org, REMOTE_ADDR=f"198.51.{i // 200}.{i % 200}")
        assert response.status_code == 302
    # Genuinely past the cull: far more keys were written than the cache now holds.
    assert cache_entries() <= MAX_ENTRIES + 1 < flood

    assert_refused(post_acs(client, saml_org, used), saml_org, "replay")
    answer = good_response(idp, saml_org, member.user.email, in_response_to=request_id)
    assert post_acs(client, saml_org, answer, relay_state=relay_state).status_code == 302
    # Login starts never touched the spent ids; the answered request is used up.
    assert SamlConsumedAssertion.objects.filter(organization=saml_org).count() == 2
    assert SamlPendingRequest.objects.filter(organization=saml_org).count() == flood


def test_an_answered_request_is_consumed(client, saml_org, member, idp):
    start = start_login(client, saml_org)
    request_id, relay_state, _ = authn_request_from_redirect(start["Location"])
    assert SamlPendingRequest.objects.filter(organization=saml_org, request_id=request_id).exists()
    xml = good_response(idp, saml_org, member.user.email, in_response_to=request_id)

    assert post_acs(client, saml_org, xml, relay_state=relay_state).status_code == 302

    assert not SamlPendingRequest.objects.filter(request_id=request_id).exists()
    (spent,) = SamlConsumedAssertion.objects.filter(organization=saml_org)
    assert spent.expires_at > timezone.now()


def test_pending_requests_keep_only_the_newest_per_organization(
    client, settings, saml_org, other_org, member, idp
):
    settings.SAML_MAX_PENDING_REQUESTS_PER_ORG = 3
    connect(other_org, idp)
    start_login(client, other_org)
    starts = [authn_request_from_redirect(start_login(client, saml_org)["Location"])
              for _ in range(5)]

    assert SamlPendingRequest.objects.filter(organization=saml_org).count() == 3
    assert SamlPendingRequest.objects.filter(organization=other_org).count() == 1
    oldest_id, oldest_relay, _ = starts[0]
    xml = good_response(idp, saml_org, member.user.email, in_response_to=oldest_id)
    assert_refused(post_acs(client, saml_org, xml, relay_state=oldest_relay), saml_org,
                   "request_unknown")
    newest_id, newest_relay, _ = starts[-1]
    xml = good_response(idp, saml_org, member.user.email, in_response_to=newest_id)
    assert post_acs(client, saml_org, xml, relay_state=newest_relay).status_code == 302


def test_an_expired_pending_request_is_unknown(client, settings, saml_org, member, idp):
    start = start_login(client, saml_org)
    request_id, relay_state, _ = authn_request_from_redirect(start["Location"])
    SamlPendingRequest.objects.filter(request_id=request_id).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    xml = good_response(idp, saml_org, member.user.email, in_response_to=request_id)
    assert_refused(post_acs(client, saml_org, xml, relay_state=relay_state), saml_org,
                   "request_unknown")


@pytest.mark.parametrize("next_url", ["/account/\x00", "/" + "a" * 2001, "/account/\u202e"])
def test_a_next_url_roster_cannot_store_is_dropped(client, saml_org, member, idp, next_url):
    """Never a 500 (PostgreSQL refuses NUL in text): the login still starts, and ends on the
    usual landing page."""
    start = start_login(client, saml_org, data={"next": next_url})
    assert start.status_code == 302
    request_id, relay_state, _ = authn_request_from_redirect(start["Location"])
    assert SamlPendingRequest.objects.get(request_id=request_id).next_url == ""
    xml = good_response(idp, saml_org, member.user.email, in_response_to=request_id)
    response = post_acs(client, saml_org, xml, relay_state=relay_state)
    assert response.status_code == 302 and response["Location"] == "/account/"


# --- rate limit ----------------------------------------------------------------------------


def assert_rate_limited(response) -> None:
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert b"Try again in a minute" in response.content


def test_login_starts_are_limited_per_client_address(client, settings, saml_org):
    settings.SAML_LOGIN_RATE_PER_ADDRESS = 3
    cache.clear()
    for _ in range(3):
        assert start_login(client, saml_org, REMOTE_ADDR="203.0.113.5").status_code == 302

    assert_rate_limited(start_login(client, saml_org, REMOTE_ADDR="203.0.113.5"))
    assert SamlPendingRequest.objects.filter(organization=saml_org).count() == 3
    assert start_login(client, saml_org, REMOTE_ADDR="203.0.113.6").status_code == 302


def test_login_starts_are_limited_per_organization(client, settings, saml_org, other_org, idp):
    settings.SAML_LOGIN_RATE_PER_ORG = 3
    connect(other_org, idp)
    cache.clear()
    for i in range(3):
        assert start_login(client, saml_org, REMOTE_ADDR=f"203.0.113.{i}").status_code == 302

    assert_rate_limited(start_login(client, saml_org, REMOTE_ADDR="203.0.113.99"))
    assert start_login(client, other_org, REMOTE_ADDR="203.0.113.99").status_code == 302


def test_a_limited_address_does_not_use_up_the_organizations_allowance(
    client, settings, saml_org
):
    settings.SAML_LOGIN_RATE_PER_ADDRESS = 2
    settings.SAML_LOGIN_RATE_PER_ORG = 4
    cache.clear()
    for _ in range(10):
        start_login(client, saml_org, REMOTE_ADDR="203.0.113.5")
    for i in range(2):
        assert start_login(client, saml_org, REMOTE_ADDR=f"203.0.113.{i}").status_code == 302


def test_behind_the_proxy_the_address_is_the_last_forwarded_hop(client, settings, saml_org):
    settings.BEHIND_TLS_PROXY = True
    settings.SAML_LOGIN_RATE_PER_ADDRESS = 1
    cache.clear()
    assert start_login(client, saml_org, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 302
    # Inventing earlier hops does not make a new client; a different real client is one.
    spoofed = start_login(client, saml_org, HTTP_X_FORWARDED_FOR="10.1.1.1, 203.0.113.5")
    assert_rate_limited(spoofed)
    assert start_login(client, saml_org, HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 302

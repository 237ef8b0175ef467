"""sso.services.state, the writers of SAML's one-time state: consume once, expire, prune."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from orgs.models import AuditEvent
from sso.models import SamlConsumedAssertion, SamlPendingRequest
from sso.services import state
from tests.sso.idp import new_id

pytestmark = pytest.mark.django_db


def test_an_assertion_id_is_consumed_once_per_organization(org, other_org):
    expires = timezone.now() + dt.timedelta(minutes=5)
    assert state.saml_assertion_consume(organization=org, assertion_id="a1", expires_at=expires)
    assert not state.saml_assertion_consume(organization=org, assertion_id="a1",
                                            expires_at=expires)
    # Another organization's IdP cannot pre-spend this organization's ids, nor the reverse.
    assert state.saml_assertion_consume(organization=other_org, assertion_id="a1",
                                        expires_at=expires)


def test_a_pending_request_is_consumed_once(org):
    pending = state.saml_pending_request_create(
        organization=org, request_id=new_id(), relay_state="token-1"
    )
    assert state.saml_pending_request_find(relay_state="token-1") == pending
    assert state.saml_pending_request_consume(pending=pending)
    assert not state.saml_pending_request_consume(pending=pending)
    assert state.saml_pending_request_find(relay_state="token-1") is None
    assert not SamlConsumedAssertion.objects.exists()  # pending requests never touch it


def test_only_a_hash_of_the_relay_state_is_stored(org):
    pending = state.saml_pending_request_create(
        organization=org, request_id=new_id(), relay_state="secret-token"
    )
    pending.refresh_from_db()
    assert "secret-token" not in str(vars(pending))
    assert state.saml_pending_request_find(relay_state="x" * 201) is None


def test_the_per_organization_cap_deletes_the_oldest_first(settings, org, other_org):
    settings.SAML_MAX_PENDING_REQUESTS_PER_ORG = 3
    other = state.saml_pending_request_create(
        organization=other_org, request_id=new_id(), relay_state=new_id()
    )
    made = [state.saml_pending_request_create(
        organization=org, request_id=new_id(), relay_state=new_id()) for _ in range(5)]
    assert list(SamlPendingRequest.objects.filter(organization=org).order_by("id")) == made[2:]
    assert list(SamlPendingRequest.objects.filter(organization=other_org)) == [other]


def test_prune_deletes_only_expired_rows(org, other_org):
    now = timezone.now()
    old = now - dt.timedelta(hours=1)
    kept_request = state.saml_pending_request_create(
        organization=org, request_id=new_id(), relay_state=new_id(), now=now
    )
    for org in (org, other_org):
        state.saml_pending_request_create(
            organization=org, request_id=new_id(), relay_state=new_id(), now=old
        )
        state.saml_assertion_consume(organization=org, assertion_id=new_id(), expires_at=old)
    state.saml_assertion_consume(
        organization=org, assertion_id="kept", expires_at=now + dt.timedelta(minutes=5)
    )
    events = AuditEvent.objects.count()

    out = io.StringIO()
    call_command("saml_state", "prune", stdout=out)

    assert out.getvalue().strip() == (
        "Deleted 2 expired pending SAML request(s) and 2 expired consumed assertion id(s)."
    )
    assert list(SamlPendingRequest.objects.all()) == [kept_request]
    assert list(SamlConsumedAssertion.objects.values_list("assertion_id", flat=True)) == ["kept"]
    assert AuditEvent.objects.count() == events
    later = state.saml_state_prune(now=now + dt.timedelta(hours=1))
    assert (later.pending_requests, later.consumed_assertions) == (1, 1)


def test_a_login_start_deletes_its_organizations_expired_requests(org, other_org):
    old = timezone.now() - dt.timedelta(hours=1)
    for org in (org, other_org):
        state.saml_pending_request_create(
            organization=org, request_id=new_id(), relay_state=new_id(), now=old
        )
    fresh = state.saml_pending_request_create(
        organization=org, request_id=new_id(), relay_state=new_id()
    )
    assert list(SamlPendingRequest.objects.filter(organization=org)) == [fresh]
    assert SamlPendingRequest.objects.filter(organization=other_org).count() == 1


def test_a_spent_assertion_stays_spent_until_pruned_after_it_expired(org):
    expires = timezone.now() + dt.timedelta(minutes=5)
    assert state.saml_assertion_consume(organization=org, assertion_id="a1",
                                        expires_at=expires)
    assert state.saml_state_prune().consumed_assertions == 0
    assert not state.saml_assertion_consume(organization=org, assertion_id="a1",
                                            expires_at=expires)

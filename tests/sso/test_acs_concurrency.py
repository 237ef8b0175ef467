"""Two ACS posts of the same fresh response at the same moment, each in its own thread with its
own database connection: exactly one signs the person in (PostgreSQL only: SQLite serialises
writers anyway)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.test import Client

from orgs.models import AuditEvent
from sso.models import SamlConsumedAssertion
from tests.factories import MembershipFactory, UserFactory
from tests.sso.conftest import good_response, post_acs, refusals, start_login
from tests.sso.idp import authn_request_from_redirect

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers"),
]
ROUNDS = 5  # each round a fresh response; more rounds, more chances of a true overlap


@pytest.fixture
def member(saml_org):
    user = UserFactory(email="test.user@okta.local", setup_completed_at=dt.datetime.now(dt.UTC))
    return MembershipFactory(organization=saml_org, user=user)


def race(org, xml: str, relay_state: str | None = None) -> list[int]:
    """POST ``xml`` to the ACS from two threads released together; their status codes."""
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def work() -> None:
        try:
            client = Client()
            barrier.wait(timeout=10)
            statuses.append(post_acs(client, org, xml, relay_state=relay_state).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return sorted(statuses)


def test_the_same_fresh_response_twice_at_once_signs_in_exactly_once(saml_org, member, idp):
    for round_ in range(1, ROUNDS + 1):
        xml = good_response(idp, saml_org, member.user.email)

        assert race(saml_org, xml) == [302, 403]

        assert AuditEvent.objects.filter(action="sso.login.succeeded").count() == round_
        assert len(refusals(saml_org, "replay")) == round_
    assert SamlConsumedAssertion.objects.filter(organization=saml_org).count() == ROUNDS


def test_the_same_answer_to_our_request_twice_at_once_signs_in_exactly_once(
    saml_org, member, idp
):
    for round_ in range(1, ROUNDS + 1):
        request_id, relay_state, _ = authn_request_from_redirect(
            start_login(Client(), saml_org)["Location"]
        )
        xml = good_response(idp, saml_org, member.user.email, in_response_to=request_id)

        assert race(saml_org, xml, relay_state) == [302, 403]

        assert AuditEvent.objects.filter(action="sso.login.succeeded").count() == round_
        # The loser finds the request used up (or, if it looked first, loses the DELETE).
        assert len(refusals(saml_org, "request_unknown")) == round_

"""The provisioning overview on the Provisioning tab: members by source and state, SCIM traffic
per day (a server-rendered SVG), the last push, and the BASE_URL warning."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from orgs.models import MembershipSource, MembershipStatus
from scim import overview
from tests.factories import (
    AuditEventFactory,
    MembershipFactory,
    ScimRequestFactory,
    ScimTokenFactory,
)

pytestmark = pytest.mark.django_db


def test_members_by_source_and_state_in_one_query(org, django_assert_num_queries):
    for status, active, n in [(MembershipStatus.INVITED, True, 3),
                              (MembershipStatus.ACCEPTED, True, 2),
                              (MembershipStatus.ACCEPTED, False, 1)]:
        for _ in range(n):
            MembershipFactory(organization=org, source=MembershipSource.SCIM, status=status,
                              is_active=active)
    MembershipFactory(organization=org, source=MembershipSource.MANUAL)
    MembershipFactory(source=MembershipSource.SCIM)  # another organization's
    with django_assert_num_queries(1):
        counts = {c.source: c for c in overview.member_counts(organization=org)}
    scim = counts[MembershipSource.SCIM]
    assert (scim.invited, scim.active, scim.deactivated, scim.total) == (3, 2, 1, 6)
    assert counts[MembershipSource.MANUAL].total == 1
    assert counts[MembershipSource.SSO].total == 0


def test_traffic_counts_idp_requests_per_day(org, django_assert_num_queries):
    """From the SCIM request log: every request the IdP made, errors being 4xx and 5xx."""
    now = timezone.now()
    for status, days_ago in [(200, 0), (409, 0), (201, 2), (500, 2), (200, 2), (200, 40)]:
        ScimRequestFactory(organization=org, status=status,
                           created_at=now - timedelta(days=days_ago))
    ScimRequestFactory(organization=None, status=401)  # operators only: no organization
    with django_assert_num_queries(1):
        traffic = overview.scim_traffic(organization=org, days=30, now=now)
    assert len(traffic) == 30 and traffic[-1].day == timezone.localdate(now)
    assert [(d.requests, d.errors) for d in traffic[-3:]] == [(3, 1), (0, 0), (2, 1)]
    assert sum(d.requests for d in traffic) == 5 and sum(d.errors for d in traffic) == 2
    chart = overview.traffic_chart(traffic[-7:])
    assert chart.days == 7 and chart.total_requests == 5
    tallest = max(chart.bars, key=lambda b: b.height)
    assert tallest.title.endswith(": 3 requests, 1 error")
    assert all(chart.plot_top <= b.y <= chart.plot_bottom for b in chart.bars)


def test_the_tab_shows_the_overview(admin_client_, url, org, settings):
    settings.BASE_URL = "https://roster.example.com"
    MembershipFactory(organization=org, source=MembershipSource.SCIM,
                      status=MembershipStatus.INVITED)
    AuditEventFactory(organization=org, action="scim.user.created", actor_kind="scim-token",
                      actor_label="SCIM token rst_scim_abcdef… (Okta)", request_id="r1")
    ScimTokenFactory(organization=org, last_used_at=timezone.now())
    ScimRequestFactory(organization=org, status=201, request_id="r1")
    response = admin_client_.get(url("sso_provisioning", org))
    html = response.content.decode()
    assert '<tr id="member-counts-scim"><th scope="row">Provisioned by SCIM</th><td>1</td>' in html
    assert html.count("<svg viewBox=") == 2
    assert 'aria-label="SCIM requests and errors per day, last 7 days"' in html
    assert 'aria-label="SCIM requests and errors per day, last 30 days"' in html
    assert "<strong>Last 7 days</strong>: 1 request, 0 errors" in html
    contact = response.context["last_contact"]
    assert contact.push_by == "SCIM token rst_scim_abcdef… (Okta)"
    assert contact.push_at is not None and contact.call_at is not None
    assert 'id="base-url-warning"' not in html
    assert 'id="scim-saml-inactive"' not in html


@pytest.mark.parametrize(("base_url", "problem"), [
    ("http://127.0.0.1:8000", "a loopback address"),
    ("https://localhost", "a loopback address"),
    ("http://[::1]:8000", "a loopback address"),
    ("http://roster.example.com", "needs a public https:// URL"),
    ("https://roster.example.com", ""),
])
def test_base_url_warning(admin_client_, url, org, settings, base_url, problem):
    settings.BASE_URL = base_url
    assert (problem in overview.base_url_problem()) and bool(problem) == bool(
        overview.base_url_problem()
    )
    html = admin_client_.get(url("sso_provisioning", org)).content.decode()
    assert ('id="base-url-warning"' in html) == bool(problem)


def test_scim_on_with_saml_off_is_called_out(admin_client_, url, org):
    org.saml_connection.is_active = False
    org.saml_connection.save()
    html = admin_client_.get(url("sso_provisioning", org)).content.decode()
    assert 'id="scim-saml-inactive"' in html
    assert "every SCIM call is refused (403)" in html

"""SCIM activity (the Provisioning tab's latest rows and the activity page): this organization's
SCIM events only, one row per IdP request in words with what changed, filters, pages, a link to
the full audit log, and a fixed number of queries."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from orgs.audit import Actor
from orgs.models import AuditEvent
from scim.activity import PER_PAGE
from scim.services import scim_token_create
from tests.factories import (
    AuditEventFactory,
    GroupRoleMappingFactory,
    ScimRequestFactory,
    ScimTokenFactory,
)
from tests.scim.conftest import ScimClient
from tests.scim.test_okta_aiw import OKTA_USER

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(org, other_org):
    for action in ["scim.user.created", "scim.user.deactivated", "scim.group.members_changed",
                   "scim.token.created", "org.scim.enabled"]:
        AuditEventFactory(organization=org, action=action, actor_label="SCIM token rst_scim_abc…",
                          target_label=f"target of {action}")
    AuditEventFactory(organization=org, action="membership.added", target_label="not scim")
    AuditEventFactory(organization=other_org, action="scim.user.updated",
                      target_label="other org")


def test_shows_only_this_orgs_scim_events_in_words(admin_client_, url, org, events):
    response = admin_client_.get(url("scim_activity", org))
    rows = response.context["activity"]
    assert sorted(r.action for r in rows) == ["org.scim.enabled", "scim.group.members_changed",
                                              "scim.token.created", "scim.user.created",
                                              "scim.user.deactivated"]
    html = response.content.decode()
    for words in ("Member provisioned", "Member deactivated", "Group members changed",
                  "SCIM token created", "SCIM provisioning enabled",
                  "target of scim.user.deactivated"):
        assert words in html
    assert "not scim" not in html
    assert "other org" not in html
    assert [code for code, _ in response.context["event_actions"]] == sorted(
        r.action for r in rows
    )


def test_filters_by_action_target_and_period(admin_client_, url, org, events):
    page = url("scim_activity", org)
    response = admin_client_.get(page, {"action": "scim.user.deactivated"})
    assert [r.action for r in response.context["activity"]] == ["scim.user.deactivated"]
    assert '<option value="scim.user.deactivated" selected>Member deactivated</option>' in (
        response.content.decode()
    )
    assert "action=scim.user.deactivated" in response.context["audit_log_url"]
    # An action outside SCIM is not reachable through this filter.
    assert admin_client_.get(page, {"action": "membership.added"}).context["activity"] == []
    found = admin_client_.get(page, {"q": "OF SCIM.GROUP"}).context["activity"]
    assert [r.action for r in found] == ["scim.group.members_changed"]
    AuditEvent.objects.filter(action="scim.user.created").update(created_at="2020-01-01T00:00Z")
    recent = admin_client_.get(page, {"days": "7"}).context["activity"]
    assert "scim.user.created" not in [r.action for r in recent] and len(recent) == 4
    response = admin_client_.get(page, {"days": "9999"})  # not offered: no filter
    assert len(response.context["activity"]) == 5


def test_one_row_per_okta_request_with_what_changed(admin_client_, url, org):
    """An Okta create and a PUT each make one row (however many audit events they wrote),
    showing the change as before → after; the tab shows the latest rows too."""
    token = scim_token_create(organization=org, actor=Actor.system(), description="Okta")
    scim = ScimClient(Client(), token.plaintext)
    created = scim.post("/Users", OKTA_USER)
    assert created.status_code == 201
    body = json.loads(created.content) | {"name": {"givenName": "Testy", "familyName": "User"},
                             "title": "Engineer"}
    assert scim.put(f"/Users/{body['id']}", body).status_code == 200
    response = admin_client_.get(url("scim_activity", org))
    update, create, token_row = response.context["activity"]
    assert token_row.label == "SCIM token created"
    assert (create.label, update.label) == ("Member provisioned", "Member updated")
    assert create.target == update.target == "test.user@okta.local in Acme"
    changes = {(c.field, c.before, c.after) for c in create.changes}
    assert ("Email", "—", "test.user@okta.local") in changes
    assert ("Role", "—", "Member") in changes
    assert ("First name", "Test", "Testy") in {(c.field, c.before, c.after)
                                                for c in update.changes}
    assert ("title", "—", "Engineer") in {(c.field, c.before, c.after) for c in update.changes}
    events = AuditEvent.objects.filter(organization=org, action__startswith="scim.user.")
    assert len({e.request_id for e in events}) == 2  # two requests, however many events
    html = response.content.decode()
    assert '<span class="before">Test</span> → <span class="after">Testy</span>' in html
    tab = admin_client_.get(url("sso_provisioning", org))
    assert [r.label for r in tab.context["activity"]] == [
        "Member updated", "Member provisioned", "SCIM token created"
    ]
    assert tab.context["activity_url"] == url("scim_activity", org)


def test_pages_over_requests(admin_client_, url, org):
    for i in range(PER_PAGE + 3):
        AuditEventFactory(organization=org, action="scim.user.created", request_id=f"req-{i}",
                          target_label=f"member {i}")
        AuditEventFactory(organization=org, action="scim.user.profile_updated",
                          request_id=f"req-{i}")
    page = url("scim_activity", org)
    first = admin_client_.get(page)
    assert len(first.context["activity"]) == PER_PAGE
    assert first.context["page"].paginator.count == PER_PAGE + 3
    assert "Page 1 of 2" in first.content.decode()
    second = admin_client_.get(page, {"page": 2})
    assert [r.target for r in second.context["activity"]] == ["member 2", "member 1", "member 0"]
    assert all(r.actions == ["scim.user.created", "scim.user.profile_updated"]
               for r in second.context["activity"])
    assert admin_client_.get(page, {"page": "nonsense"}).status_code == 200


def test_links_to_the_full_audit_log_of_the_org(admin_client_, url, org, events):
    response = admin_client_.get(url("scim_activity", org))
    link = response.context["audit_log_url"]
    assert link == f"/admin/orgs/auditevent/?organization__id__exact={org.pk}"
    changelist = admin_client_.get(link)
    assert changelist.status_code == 200
    assert "membership.added" in changelist.content.decode()
    assert "other org" not in changelist.content.decode()


def test_filtered_link_opens_the_audit_log_on_that_action_of_the_org(
    admin_client_, url, org, events
):
    response = admin_client_.get(url("scim_activity", org), {"action": "scim.user.created"})
    changelist = admin_client_.get(response.context["audit_log_url"])
    assert changelist.status_code == 200
    shown = [e.action for e in changelist.context["cl"].result_list]
    assert shown == ["scim.user.created"]


def test_rows_link_to_their_request_in_the_log(admin_client_, url, org, other_org):
    record = ScimRequestFactory(organization=org, request_id="req-1")
    ScimRequestFactory(organization=other_org, request_id="req-2")
    link = url("scim_request_by_id", org, "req-1")
    response = admin_client_.get(link)
    assert response.status_code == 302
    assert response["Location"] == url("scim_request", org, record.pk)
    assert admin_client_.get(url("scim_request_by_id", org, "req-2")).status_code == 404
    assert admin_client_.get(url("scim_request_by_id", org, "pruned")).status_code == 404


def test_pages_cost_a_fixed_number_of_queries(
    admin_client_, url, org, django_assert_max_num_queries
):
    for i in range(60):
        AuditEventFactory(organization=org, action=f"scim.user.action{i % 7}",
                          request_id=f"r{i % 30}")
        AuditEventFactory(organization=org, action="scim.group.members_changed",
                          data={"added": [str(org.pk)], "removed": []}, request_id=f"g{i}")
    for _ in range(5):
        ScimTokenFactory(organization=org)
        GroupRoleMappingFactory(organization=org)
    with django_assert_max_num_queries(19):  # 18, and one for the recent SCIM requests
        response = admin_client_.get(url("sso_provisioning", org))
    assert len(response.context["activity"]) == 5
    with django_assert_max_num_queries(12):
        response = admin_client_.get(url("scim_activity", org))
    assert len(response.context["activity"]) == PER_PAGE

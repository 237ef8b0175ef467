"""SCIM activity on the Provisioning tab: this organization's SCIM events only, filterable by
action, linking to the full audit log, at a fixed number of queries."""

from __future__ import annotations

import pytest

from tests.factories import AuditEventFactory, GroupRoleMappingFactory, ScimTokenFactory

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


def test_shows_only_this_orgs_scim_events(admin_client_, url, org, events):
    response = admin_client_.get(url("sso_provisioning", org))
    actions = [e.action for e in response.context["events"]]
    assert sorted(actions) == ["org.scim.enabled", "scim.group.members_changed",
                               "scim.token.created", "scim.user.created",
                               "scim.user.deactivated"]
    html = response.content.decode()
    assert "target of scim.user.deactivated" in html
    assert "not scim" not in html
    assert "other org" not in html
    assert response.context["event_actions"] == sorted(actions)


def test_filter_by_action(admin_client_, url, org, events):
    response = admin_client_.get(url("sso_provisioning", org), {"action": "scim.user.deactivated"})
    assert [e.action for e in response.context["events"]] == ["scim.user.deactivated"]
    html = response.content.decode()
    assert '<option value="scim.user.deactivated" selected>' in html
    assert "action=scim.user.deactivated" in response.context["audit_log_url"]
    # An action outside SCIM is not reachable through this filter.
    response = admin_client_.get(url("sso_provisioning", org), {"action": "membership.added"})
    assert list(response.context["events"]) == []


def test_links_to_the_full_audit_log_of_the_org(admin_client_, url, org, events):
    response = admin_client_.get(url("sso_provisioning", org))
    link = response.context["audit_log_url"]
    assert link == f"/admin/orgs/auditevent/?organization__id__exact={org.pk}"
    changelist = admin_client_.get(link)
    assert changelist.status_code == 200
    assert "membership.added" in changelist.content.decode()
    assert "other org" not in changelist.content.decode()


def test_tab_costs_a_fixed_number_of_queries(
    admin_client_, url, org, django_assert_max_num_queries
):
    for i in range(60):
        AuditEventFactory(organization=org, action=f"scim.user.action{i % 7}")
    for _ in range(5):
        ScimTokenFactory(organization=org)
        GroupRoleMappingFactory(organization=org)
    with django_assert_max_num_queries(13):  # 12, and one for the recent SCIM requests
        response = admin_client_.get(url("sso_provisioning", org))
    assert len(response.context["events"]) == 25


def test_filtered_link_opens_the_audit_log_on_that_action_of_the_org(
    admin_client_, url, org, events
):
    response = admin_client_.get(url("sso_provisioning", org), {"action": "scim.user.created"})
    changelist = admin_client_.get(response.context["audit_log_url"])
    assert changelist.status_code == 200
    shown = [e.action for e in changelist.context["cl"].result_list]
    assert shown == ["scim.user.created"]

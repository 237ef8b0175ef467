"""The SCIM request log in the admin: on the Provisioning tab (last request, recent ones, the
empty state), the request list (filters, paging), a request's page (masked bodies, why it
failed, the audit events it caused), and the read-only ModelAdmin; each scoped to the
organization, the operators-only rows to superusers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orgs.audit import Actor
from scim.models import ScimRequest
from scim.services import scim_token_create
from tests.factories import AuditEventFactory, ScimRequestFactory
from tests.scim.conftest import ScimClient
from tests.scim.test_okta_aiw import OKTA_USER

pytestmark = pytest.mark.django_db


@pytest.fixture
def okta(org) -> ScimClient:
    token = scim_token_create(organization=org, actor=Actor.system(), description="Okta")
    return ScimClient(Client(), token.plaintext)


def test_the_empty_state_says_what_to_do_in_okta(admin_client_, url, org):
    html = admin_client_.get(url("sso_provisioning", org)).content.decode()
    assert "No SCIM request has arrived from your identity provider yet." in html
    assert "<code>http://127.0.0.1:8000/scim/v2</code>" in html
    assert "Test Connector Configuration" in html
    assert "Create a token under Manage SCIM Tokens first." in html
    assert 'id="scim-last-request"' not in html


def test_the_tab_shows_the_last_request_and_the_recent_ones(admin_client_, url, org, okta):
    okta.get("/Users?startIndex=1&count=2")
    for i in range(6):
        okta.post("/Users", {**OKTA_USER, "userName": f"u{i}@okta.local", "externalId": f"x{i}"})
    okta.post("/Users", {**OKTA_USER, "userName": "u0@okta.local", "externalId": "y"})  # 409
    response = admin_client_.get(url("sso_provisioning", org))
    html = response.content.decode()
    last = html[html.index('id="scim-last-request"'):html.index("</p>",
                                                                 html.index("scim-last-request"))]
    assert "Last request from your IdP:" in last and ">409</span>" in last
    assert "<code>POST /scim/v2/Users</code>" in last
    assert len(response.context["recent_requests"]) == 5
    assert f'href="{url("scim_requests", org)}" id="all-scim-requests"' in html
    assert "No SCIM request has arrived" not in html


def test_the_list_filters_by_status_class_method_and_resource(admin_client_, url, org):
    ScimRequestFactory(organization=org, status=200, method="GET", resource="Users")
    ScimRequestFactory(organization=org, status=401, method="GET", resource="Users")
    ScimRequestFactory(organization=org, status=409, method="POST", resource="Groups",
                       path="/scim/v2/Groups")
    ScimRequestFactory(organization=org, status=500, method="PATCH", resource="Users")
    page = url("scim_requests", org)

    def statuses(**query: str) -> list[int]:
        response = admin_client_.get(page, query)
        assert response.status_code == 200
        return [r.status for r in response.context["rows"]]

    assert statuses() == [500, 409, 401, 200]
    assert statuses(status="4xx") == [409, 401]
    assert statuses(status="5xx") == [500]
    assert statuses(method="GET") == [401, 200]
    assert statuses(resource="Groups") == [409]
    assert statuses(status="4xx", method="POST", resource="Groups") == [409]
    assert statuses(status="2xx", method="DELETE") == []
    assert "No SCIM requests match." in admin_client_.get(page, {"method": "DELETE"}
                                                          ).content.decode()


def test_a_bad_filter_is_a_form_error(admin_client_, url, org):
    ScimRequestFactory(organization=org)
    response = admin_client_.get(url("scim_requests", org), {"status": "7xx", "page": "0"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"status", "page"}
    assert response.context["rows"] == []
    assert "Select a valid choice. 7xx is not one of the available choices." in (
        response.content.decode())


def test_the_list_pages_by_fifty(admin_client_, url, org, django_assert_max_num_queries):
    now = timezone.now()
    for i in range(51):
        ScimRequestFactory(organization=org, created_at=now - dt.timedelta(seconds=i),
                           path=f"/scim/v2/Users/{i}")
    page = url("scim_requests", org)
    with django_assert_max_num_queries(8):
        first = admin_client_.get(page, {"status": "2xx"})
    assert [r.path for r in first.context["rows"]][:2] == ["/scim/v2/Users/0", "/scim/v2/Users/1"]
    assert len(first.context["rows"]) == 50
    assert first.context["older_url"] == "?status=2xx&page=2"
    assert first.context["newer_url"] == ""
    second = admin_client_.get(page, {"status": "2xx", "page": "2"})
    assert [r.path for r in second.context["rows"]] == ["/scim/v2/Users/50"]
    assert (second.context["older_url"], second.context["newer_url"]) == ("", "?status=2xx")


def test_a_request_page_shows_the_masked_bodies_and_the_changes_it_made(
    admin_client_, url, org, okta
):
    response = okta.post("/Users", OKTA_USER)
    record = ScimRequest.objects.get()
    AuditEventFactory(organization=org, action="scim.user.updated",  # same id, another time
                      request_id=record.request_id,
                      created_at=record.created_at - dt.timedelta(hours=1))
    page = admin_client_.get(url("scim_request", org, record.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "&quot;password&quot;: &quot;[masked]&quot;" in html
    assert OKTA_USER["password"] not in html
    assert '&quot;userName&quot;: &quot;test.user@okta.local&quot;' in html  # indented JSON
    # One audit event per IdP request (issue 13), with the profile in its data.
    assert [e.action for e in page.context["events"]] == ["scim.user.created"]
    assert response["X-Request-ID"] in html
    assert okta.token not in html and okta.token[15:] not in html


def test_a_refused_request_says_what_to_fix_in_the_idp(admin_client_, url, org, okta):
    ScimClient(Client(), f"Bearer {okta.token}").get("/Users")
    record = ScimRequest.objects.get()
    html = admin_client_.get(url("scim_request", org, record.pk)).content.decode()
    assert "The Authorization header says “Bearer” twice." in html
    assert f"Bearer Bearer {okta.token[:15]}…" in html
    assert okta.token not in html and okta.token[15:] not in html
    assert "None: this request changed nothing in Roster." in html


def test_requests_are_scoped_to_the_organization(
    admin_client_, other_admin_client, url, org, other_org
):
    mine = ScimRequestFactory(organization=org)
    theirs = ScimRequestFactory(organization=other_org, path="/scim/v2/Groups/theirs")
    nobodys = ScimRequestFactory(organization=None, path="/scim/v2/Users/nobodys", status=401)
    assert admin_client_.get(url("scim_request", org, mine.pk)).status_code == 200
    assert admin_client_.get(url("scim_request", org, theirs.pk)).status_code == 404
    assert admin_client_.get(url("scim_request", org, nobodys.pk)).status_code == 404
    html = admin_client_.get(url("scim_requests", org)).content.decode()
    assert "theirs" not in html and "nobodys" not in html
    for page in (url("scim_requests", org), url("scim_request", org, mine.pk)):
        assert other_admin_client.get(page).status_code == 403


def test_the_model_admin_shows_operator_only_rows_to_superusers_alone(
    admin_client_, superuser_client, org, other_org
):
    ScimRequestFactory(organization=org, path="/scim/v2/Users/mine")
    ScimRequestFactory(organization=other_org, path="/scim/v2/Users/theirs")
    nobodys = ScimRequestFactory(organization=None, path="/scim/v2/Users/nobodys", status=401)
    changelist = reverse("admin:scim_scimrequest_changelist")
    html = admin_client_.get(changelist).content.decode()
    assert "/scim/v2/Users/mine" in html
    assert "theirs" not in html and "nobodys" not in html
    change = reverse("admin:scim_scimrequest_change", args=[nobodys.pk])
    assert admin_client_.get(change).status_code == 404
    html = superuser_client.get(changelist + "?organization__isnull=True").content.decode()
    assert "nobodys" in html and "mine" not in html
    assert superuser_client.get(change).status_code == 200
    filtered = superuser_client.get(changelist, {"status_class": "4xx"})
    assert [r.path for r in filtered.context["cl"].result_list] == ["/scim/v2/Users/nobodys"]

"""/api/v1/organizations/{org}/scim-requests/: the SCIM request log for a SIEM."""

from __future__ import annotations

import pytest

from tests.factories import OrganizationFactory, ScimRequestFactory

pytestmark = pytest.mark.django_db


def test_lists_the_organizations_requests_newest_first_with_filters(api, org):
    ok = ScimRequestFactory(organization=org, status=200, method="GET")
    conflict = ScimRequestFactory(organization=org, status=409, method="POST",
                                  error_detail="userName taken", request_body='{"userName":"a"}')
    ScimRequestFactory(organization=OrganizationFactory(), status=409)  # another org's
    ScimRequestFactory(organization=None, status=401)  # operators only
    body = api.get("/organizations/acme/scim-requests/").json()
    assert [r["id"] for r in body["results"]] == [conflict.pk, ok.pk]
    assert body["results"][0]["error_detail"] == "userName taken"
    assert body["results"][0]["request_body"] == '{"userName":"a"}'
    assert [r["id"] for r in api.get("/organizations/acme/scim-requests/?status=4xx").json()[
        "results"]] == [conflict.pk]
    assert [r["id"] for r in api.get("/organizations/acme/scim-requests/?method=GET").json()[
        "results"]] == [ok.pk]


def test_bad_filters_name_the_field(api, org):
    response = api.get("/organizations/acme/scim-requests/?status=teapot")
    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]


def test_the_since_feed_lists_from_the_beginning(api, org, settings):
    settings.API_FEED_SETTLE_SECONDS = 0
    first = ScimRequestFactory(organization=org)
    second = ScimRequestFactory(organization=org)
    body = api.get("/organizations/acme/scim-requests/?since=0").json()
    assert [r["id"] for r in body["results"]] == [first.pk, second.pk]

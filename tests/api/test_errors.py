"""Every failure under /api/ is the one JSON error shape, whoever answers it: the views, DRF,
the domain, Django's URL resolver or a middleware."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import error

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/", "/api/v1/", "/api/v2/organizations/",
                                  "/api/v1/organizations/acme/nothing/", "/api/v1/secrets"])
def test_unknown_addresses_are_a_json_404(api, org, path):
    response = api.client.get(path, HTTP_AUTHORIZATION=f"Bearer {api.key}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == error("not_found", "There is no API endpoint at this address.")


def test_a_method_an_endpoint_does_not_have_is_405_with_allow(api, org):
    response = api.client.put("/api/v1/organizations/acme/", "{}",
                              content_type="application/json",
                              HTTP_AUTHORIZATION=f"Bearer {api.key}")
    assert response.status_code == 405
    assert response.json() == error("method_not_allowed", 'Method "PUT" not allowed.')
    assert set(response["Allow"].split(", ")) >= {"GET", "PATCH"}


def test_malformed_json_is_a_parse_error(api, org):
    response = api.patch("/organizations/acme/", raw="{not json")
    assert response.status_code == 400
    assert response.json() == error("parse_error", fields={})
    assert response.json()["error"]["message"].startswith("JSON parse error")


@pytest.mark.parametrize("raw", ["[" * 100_000 + "]" * 100_000, '{"name": NaN}',
                                 b'{"name": "\xff"}', ""])
def test_bodies_json_refuses_are_parse_errors(api, org, raw):
    response = api.patch("/organizations/acme/", raw=raw)
    if raw == "":  # no body: nothing to change
        assert response.status_code == 200
        return
    assert response.status_code == 400 and response.json() == error("parse_error", fields={})


def test_a_body_too_large_is_413(api, org, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api.patch("/organizations/acme/", {"name": "x" * 2000})
    assert response.status_code == 413 and response.json() == error("too_large")


def test_a_body_that_is_not_json_is_415(api, org):
    response = api.patch("/organizations/acme/", raw="name=x",
                         content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json() == error("unsupported_media_type")


def test_any_accept_header_gets_json(api, org):
    response = api.get("/organizations/acme/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"


def test_too_many_query_parameters_is_400(api, org, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    query = "&".join(f"q{n}=x" for n in range(11))
    response = api.client.get(f"/api/v1/organizations/acme/members/?{query}",
                              HTTP_AUTHORIZATION=f"Bearer {api.key}")
    assert response.status_code == 400 and response.json() == error("invalid")


def test_an_unexpected_error_is_a_json_500_without_internals(api, org, monkeypatch):
    from api.views import organizations

    def broken(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(organizations.org_services, "organization_update_settings", broken)
    response = api.patch("/organizations/acme/", {"name": "x"})
    assert response.status_code == 500
    assert response.json() == error("server_error", "The request could not be completed.")
    assert b"secret internals" not in response.content


def test_a_host_not_served_is_a_json_400(org):
    response = Client(HTTP_HOST="evil.example").get("/api/v1/organizations/")
    assert response.status_code == 400
    assert response.json() == error("bad_request")


def test_the_rest_of_the_site_keeps_its_html_errors(db):
    response = Client().get("/nothing-here/")
    assert response.status_code == 404 and "application/json" not in response["Content-Type"]

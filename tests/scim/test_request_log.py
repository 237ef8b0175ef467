"""The SCIM request log: one record per request, whatever its outcome (401, 403, 400, 404, 405,
409, 413, 429, 500 and the successes), attributed to the right organization, with its bodies
masked and its audit events linked by request id."""

from __future__ import annotations

import json
import logging

import pytest
from django.db import connection
from django.test import Client

from orgs.audit import Actor
from orgs.models import AuditEvent, Organization
from scim import adapters
from scim.models import ScimRequest
from scim.selectors import scim_request_audit_events
from scim.services import scim_token_create, scim_token_revoke
from tests.factories import OrganizationFactory, ScimTokenFactory
from tests.scim.conftest import OKTA_UA, PATCH_OP, USER_SCHEMA, ScimClient, scim_body
from tests.scim.ratelimit_helpers import fresh_window
from tests.scim.test_okta_aiw import OKTA_USER

pytestmark = pytest.mark.django_db


def last() -> ScimRequest:
    return ScimRequest.objects.order_by("-id").first()


def test_a_create_is_recorded_with_everything_an_admin_needs(scim, org, token):
    response = scim.post("/Users", OKTA_USER)
    assert response.status_code == 201
    record = last()
    assert ScimRequest.objects.count() == 1
    assert (record.organization, record.method, record.path, record.query, record.resource,
            record.status) == (org, "POST", "/scim/v2/Users", "", "Users", 201)
    assert record.token_prefix == token[:15]
    assert record.authorization == f"Bearer {token[:15]}…"
    assert (record.client_ip, record.user_agent) == ("127.0.0.1", OKTA_UA)
    assert (record.error_type, record.error_detail) == ("", "")
    assert 0 <= record.duration_ms < 10_000
    assert record.request_id == response["X-Request-ID"]
    sent = json.loads(record.request_body)
    assert sent == {**OKTA_USER, "password": "[masked]"}
    assert json.loads(record.response_body) == scim_body(response)
    assert not record.request_truncated and not record.response_truncated
    # The audit events the request caused, found by its request id.
    events = list(scim_request_audit_events(record=record))
    assert [e.action for e in events] == ["scim.user.created"]  # one event per request
    assert events[0].request_id == record.request_id


def test_reads_carry_their_query_and_resource(scim, org):
    scim.get('/Users?filter=userName%20eq%20%22jane%40example.com%22&startIndex=1&count=100')
    assert (last().query, last().resource) == (
        'filter=userName eq "jane@example.com"&startIndex=1&count=100', "Users")
    scim.get("/Groups?excludedAttributes=members")
    assert last().resource == "Groups"
    scim.get("/ServiceProviderConfig")
    assert last().resource == "other"
    scim.client.head("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {scim.token}")
    assert (last().method, last().status, last().response_body) == ("HEAD", 200, "")


def test_a_revoked_token_is_recorded_for_its_organization(scim, org, token):
    from scim.models import ScimToken

    scim_token_revoke(token=ScimToken.objects.get(prefix=token[:15]), actor=Actor.system())
    response = scim.get("/Users")
    assert response.status_code == 401
    record = last()
    assert (record.organization, record.status, record.token_prefix) == (org, 401, token[:15])
    assert record.error_detail == "The bearer token is invalid, expired or revoked."
    assert json.loads(record.response_body)["status"] == "401"


def test_bearer_twice_is_recorded_for_the_organization_with_the_header_shape(client, org, token):
    """What an admin does when pasting "Bearer <token>" into Okta's Bearer field."""
    response = ScimClient(client, f"Bearer {token}").get("/Users?startIndex=1&count=2")
    assert response.status_code == 401
    record = last()
    assert (record.organization, record.token_prefix) == (org, token[:15])
    assert record.authorization == f"Bearer Bearer {token[:15]}…"


@pytest.mark.parametrize("header,authorization,detail", [
    ("", "", "A bearer token is required."),
    ("Basic dXNlcjpwYXNzd29yZA==", "Basic [masked]", "A bearer token is required."),
    ("Bearer not-one-of-ours", "Bearer [masked]",
     "The bearer token is invalid, expired or revoked."),
])
def test_a_request_without_a_token_of_ours_is_for_operators_only(client, org, header,
                                                                  authorization, detail):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    assert client.get("/scim/v2/Users", **extra).status_code == 401
    record = last()
    assert (record.organization, record.token_prefix, record.authorization,
            record.error_detail) == (None, "", authorization, detail)


def test_an_unknown_token_is_attributed_by_its_prefix_when_exactly_one_org_has_it(client, org):
    ScimTokenFactory(organization=org, prefix="rst_scim_AAAAAA")
    ScimTokenFactory(organization=OrganizationFactory(), prefix="rst_scim_BBBBBB")
    ScimTokenFactory(organization=OrganizationFactory(), prefix="rst_scim_BBBBBB")
    for prefix, owner in (("rst_scim_AAAAAA", org), ("rst_scim_BBBBBB", None),
                          ("rst_scim_CCCCCC", None)):
        unknown = prefix + "x" * 37
        assert ScimClient(client, unknown).get("/Users").status_code == 401
        assert (last().organization, last().token_prefix) == (owner, prefix)


def test_scim_switched_off_is_recorded(scim, org):
    Organization.objects.filter(pk=org.pk).update(scim_enabled=False)
    assert scim.get("/Users").status_code == 403
    assert (last().organization, last().status, last().error_detail) == (
        org, 403, "SCIM provisioning is turned off for this organization.")


def test_a_conflict_is_recorded_with_its_scim_type(scim, org):
    assert scim.post("/Users", OKTA_USER).status_code == 201
    assert scim.post("/Users", OKTA_USER).status_code == 409
    record = last()
    assert (record.status, record.error_type) == (409, "uniqueness")
    assert "test.user@okta.local" in record.error_detail
    assert list(scim_request_audit_events(record=record)) == []  # it changed nothing


def test_a_throttled_request_is_recorded(scim, org):
    Organization.objects.filter(pk=org.pk).update(scim_rate_limit_per_minute=1)
    fresh_window()
    assert [scim.get("/Users").status_code for _ in range(2)] == [200, 429]
    assert (last().status, last().error_detail) == (
        429, "Too many requests with this token; retry later.")


def test_parse_errors_and_oversized_bodies_are_recorded(scim, org, settings):
    assert scim.post("/Users", raw='{"userName": "a@b.c", "password": "hunter2", ').status_code \
        == 400
    record = last()
    assert (record.status, record.error_type) == (400, "invalidSyntax")
    assert record.request_body == '{"userName": "a@b.c", "password": "[masked]", '
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    assert scim.post("/Users", {"userName": "x@y.z", "displayName": "x" * 2000}).status_code \
        == 413
    record = last()
    assert (record.status, record.error_detail) == (413, "The request body is too large.")
    assert record.request_truncated and record.request_body.startswith('{"userName": "x@y.z"')


def test_unknown_addresses_and_methods_are_recorded(scim, org):
    assert scim.get("/Nothing/here").status_code == 404
    assert (last().status, last().resource, last().path) == (404, "other", "/scim/v2/Nothing/here")
    assert scim.post("/ServiceProviderConfig", {}).status_code == 405
    assert (last().method, last().status) == ("POST", 405)


def test_an_unexpected_error_is_recorded_as_500(scim, org, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(adapters.provisioning, "scim_user_create", broken)
    with caplog.at_level(logging.ERROR):
        assert scim.post("/Users", OKTA_USER).status_code == 500
    record = last()
    assert (record.status, record.error_detail) == (500, "The request could not be completed.")
    assert "boom" not in record.response_body


def test_a_body_that_is_too_long_is_cut_and_flagged(scim, org):
    scim.post("/Users", {**OKTA_USER, "title": "t" * 20_000})
    record = last()
    assert record.request_truncated and 16_000 < len(record.request_body) <= 16 * 1024
    assert record.request_body.startswith('{"schemas": ')
    assert '"password": "[masked]"' in record.request_body  # masked as text, once cut
    assert record.response_truncated  # the created user, title included, is sent back


def test_a_password_patch_is_masked(scim, org):
    uid = scim_body(scim.post("/Users", OKTA_USER))["id"]
    scim.patch(f"/Users/{uid}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "path": "password", "value": "s3cret-Passw0rd"},
        {"op": "replace", "value": {"password": "an0ther-s3cret"}},
    ]})
    body = last().request_body
    assert "s3cret" not in body and body.count("[masked]") == 2


def test_a_failed_log_write_does_not_fail_the_request(scim, org, monkeypatch, caplog):
    from scim import services

    def broken(record):
        raise RuntimeError("database gone")

    monkeypatch.setattr(services, "scim_request_record", broken)
    with caplog.at_level(logging.ERROR, logger="scim.request_log"):
        response = scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "ok@okta.local"})
    assert response.status_code == 201
    assert "The SCIM request log could not record POST /scim/v2/Users (status 201)" in caplog.text
    assert not ScimRequest.objects.exists()


def test_a_token_never_reaches_a_record(client, org, token):
    """The acceptance cases, plus a token in the query, the body and the user agent."""
    wrong = "rst_scim_" + "Q" * 43
    for secret in (token, wrong, f"Bearer {token}"):
        ScimClient(Client(), secret).get("/Users?count=1")
    scim = ScimClient(Client(), token, user_agent=f"curl {token}")
    scim.get(f"/Users?access_token={token}")
    scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "a@okta.local",
                         "note": f"Authorization: Bearer {token}", "token": token})
    scim.post("/Users", raw=f'{{"password": "x", "token": "{token}"')
    Organization.objects.filter(pk=org.pk).update(scim_enabled=False)
    scim.get("/Users")
    assert ScimRequest.objects.count() == 7
    for record in ScimRequest.objects.all():
        stored = json.dumps([str(getattr(record, f.attname))
                             for f in ScimRequest._meta.concrete_fields])
        for secret in (token, wrong):
            assert secret not in stored and secret[15:] not in stored, record
    events = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert token not in events and token[15:] not in events


def test_another_tokens_organization_is_never_shown_a_foreign_request(other_scim, org, token):
    scim_token_create(organization=org, actor=Actor.system(), description="Acme Okta")
    other_scim.get("/Users")
    assert last().organization.slug == "globex"


@pytest.mark.django_db(transaction=True)  # outside a transaction, as in production
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's asynchronous commit")
def test_on_postgresql_the_record_commits_asynchronously_and_only_itself(org, token):
    response = ScimClient(Client(), token).post("/Users", OKTA_USER)
    assert response.status_code == 201
    record = last()
    assert (record.organization, record.status, record.resource, record.client_ip) == (
        org, 201, "Users", "127.0.0.1")
    assert record.request_id == response["X-Request-ID"]
    assert json.loads(record.request_body)["password"] == "[masked]"
    with connection.cursor() as cursor:  # the setting lasted for the log's INSERT alone
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone() == ("on",)

"""Bearer authentication: the token decides the organization."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from orgs.audit import Actor
from orgs.plans import Plan
from scim.models import ScimToken
from scim.services import scim_token_create, scim_token_revoke
from tests.scim.conftest import ScimClient, error, scim_body

pytestmark = pytest.mark.django_db

ENDPOINTS = ["/Users", "/Groups", "/ServiceProviderConfig", "/ResourceTypes", "/Schemas",
             "/Users/00000000-0000-0000-0000-000000000000", "/nowhere"]


def _assert_401(response, detail: str) -> None:
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert scim_body(response) == error(401, detail)


@pytest.mark.parametrize("path", ENDPOINTS)
def test_missing_token(client, org, path):
    _assert_401(client.get("/scim/v2" + path), "A bearer token is required.")


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "Token abc"])
def test_malformed_authorization_header(client, org, header):
    response = client.get("/scim/v2/Users", HTTP_AUTHORIZATION=header)
    _assert_401(response, "A bearer token is required.")


def test_unknown_token(client, org):
    scim = ScimClient(client, "rst_scim_" + "x" * 43)
    _assert_401(scim.get("/Users"), "The bearer token is invalid, expired or revoked.")
    _assert_401(scim.post("/Users", {"userName": "a@b.c"}),
                "The bearer token is invalid, expired or revoked.")


def test_expired_token(client, org):
    created = scim_token_create(organization=org, actor=Actor.system(), ttl_days=1,
                                description="Okta")
    ScimToken.objects.filter(pk=created.token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    _assert_401(ScimClient(client, created.plaintext).get("/Users"),
                "The bearer token is invalid, expired or revoked.")


def test_revoked_token(client, org):
    created = scim_token_create(organization=org, actor=Actor.system(), description="Okta")
    scim = ScimClient(client, created.plaintext)
    assert scim.get("/Users").status_code == 200
    scim_token_revoke(token=created.token, actor=Actor.system())
    _assert_401(scim.get("/Users"), "The bearer token is invalid, expired or revoked.")


def test_scim_turned_off_is_403_and_keeps_tokens_and_data(scim, org):
    uid = scim_body(scim.post("/Users", {"userName": "a@example.com"}))["id"]
    org.scim_enabled = False
    org.save()
    for path in ENDPOINTS:
        response = scim.get(path)
        assert response.status_code == 403
        assert scim_body(response) == error(
            403, "SCIM provisioning is turned off for this organization."
        )
    response = scim.patch(f"/Users/{uid}", {"Operations": [{"op": "replace", "path": "active",
                                                           "value": False}]})
    assert response.status_code == 403
    org.scim_enabled = True
    org.save()
    assert scim_body(scim.get(f"/Users/{uid}"))["active"] is True


def test_plan_without_scim_is_403(scim, org):
    org.plan = Plan.PRO
    org.save()
    response = scim.get("/Users")
    assert response.status_code == 403
    assert scim_body(response) == error(
        403, "SCIM provisioning is not included in this organization's plan."
    )


def test_last_used_at_is_recorded(client, org, token):
    assert ScimToken.objects.get().last_used_at is None
    ScimClient(client, token).get("/Users")
    assert ScimToken.objects.get().last_used_at is not None


def test_the_token_decides_the_organization(org, other_org, token, other_token):
    ScimClient(Client(), token).post("/Users", {"userName": "a@example.com"})
    assert scim_body(ScimClient(Client(), token).get("/Users"))["totalResults"] == 1
    assert scim_body(ScimClient(Client(), other_token).get("/Users"))["totalResults"] == 0


def test_token_problems_are_401_before_any_403(client, org):
    """An expired or revoked token is 401 even where SCIM is off or the plan lacks it: the
    client must learn that its credentials are the problem."""
    expired = scim_token_create(organization=org, actor=Actor.system(), ttl_days=1,
                                description="Okta")
    ScimToken.objects.filter(pk=expired.token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1))
    revoked = scim_token_create(organization=org, actor=Actor.system(), description="Okta")
    scim_token_revoke(token=revoked.token, actor=Actor.system())
    org.scim_enabled = False
    org.plan = Plan.PRO
    org.save()
    for plaintext in (expired.plaintext, revoked.plaintext):
        for method in ("get", "post", "delete"):
            scim = ScimClient(Client(), plaintext)
            response = getattr(scim, method)("/Users") if method != "post" else scim.post(
                "/Users", {"userName": "a@example.com"})
            _assert_401(response, "The bearer token is invalid, expired or revoked.")


def test_the_scheme_is_case_insensitive(client, org, token):
    response = client.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"bearer {token}")
    assert response.status_code == 200

"""SCIM tokens: list (never the value), create (the value once, and it works on /scim/v2),
revoke (SCIM calls then get 401); audited as on the Provisioning tab."""

from __future__ import annotations

import pytest
from django.test import Client

from orgs.models import AuditEvent
from scim.models import ScimToken
from scim.services import hash_token
from tests.api.conftest import error
from tests.factories import ScimTokenFactory

pytestmark = pytest.mark.django_db


def scim_get(token: str):
    return Client().get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_create_shows_the_token_once_and_it_provisions(api, org, org_admin, settings):
    settings.BASE_URL = "https://roster.example.com"
    response = api.post("/organizations/acme/scim-tokens/", {"description": "Okta",
                                                              "ttl_days": 30})
    assert response.status_code == 201, response.json()
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    token = body["token"]
    assert token.startswith("rst_scim_") and body["prefix"] == token[:15]
    assert body["scim_url"] == "https://roster.example.com/scim/v2"
    assert (body["description"], body["ttl_days"], body["status"]) == ("Okta", 30, "active")
    assert body["created_by"] == org_admin.user.email and body["expires_at"]
    row = ScimToken.objects.get(pk=body["id"])
    assert row.token_hash == hash_token(token) and token not in str(row.__dict__)
    assert scim_get(token).status_code == 200
    event = AuditEvent.objects.get(action="scim.token.created")
    assert event.actor_label == org_admin.user.email and token not in str(event.data)
    listed = api.get("/organizations/acme/scim-tokens/").json()["results"]
    assert [t["id"] for t in listed] == [body["id"]] and "token" not in listed[0]
    assert api.get(f"/organizations/acme/scim-tokens/{body['id']}/").json() == listed[0]


def test_create_with_defaults(api, org):
    body = api.post("/organizations/acme/scim-tokens/", {}).json()
    assert (body["description"], body["ttl_days"]) == ("", 365)
    assert api.post("/organizations/acme/scim-tokens/", {"ttl_days": 0}).json()[
        "expires_at"] is None


@pytest.mark.parametrize(("body", "fields"), [
    ({"ttl_days": -1}, {"ttl_days": ["Ensure this value is greater than or equal to 0."]}),
    ({"ttl_days": 3651}, {"ttl_days": ["Ensure this value is less than or equal to 3650."]}),
    ({"ttl_days": "soon"}, {"ttl_days": ["A valid integer is required."]}),
    ({"description": "d" * 201},
     {"description": ["Ensure this field has no more than 200 characters."]}),
    ({"description": "tab\there"},
     {"description": ["The value contains a control character (U+0009)."]}),
    ({"token": "mine"}, {"token": ["Unknown field."]}),
])
def test_create_validation(api, org, body, fields):
    response = api.post("/organizations/acme/scim-tokens/", body)
    assert response.status_code == 400 and response.json() == error("invalid", fields=fields)
    assert not ScimToken.objects.exists()


def test_revoke_stops_scim_at_once_and_is_idempotent(api, org):
    created = api.post("/organizations/acme/scim-tokens/", {"description": "Okta"}).json()
    path = f"/organizations/acme/scim-tokens/{created['id']}/revoke/"
    first = api.post(path)
    assert first.status_code == 200 and first.json()["status"] == "revoked"
    assert first.json()["revoked_at"]
    assert api.post(path).json() == first.json()
    assert scim_get(created["token"]).status_code == 401
    assert AuditEvent.objects.filter(action="scim.token.revoked").count() == 1


def test_newest_first(api, org):
    ids = [api.post("/organizations/acme/scim-tokens/", {"description": f"t{n}"}).json()["id"]
           for n in range(3)]
    listed = api.get("/organizations/acme/scim-tokens/", {"limit": 2}).json()
    assert [t["id"] for t in listed["results"]] == ids[::-1][:2] and listed["next"]


@pytest.mark.parametrize("token_id", ["abc", "-1", "1.5", "99999999999999999999999", "٣"])
def test_malformed_or_unknown_ids_are_404(api, org, token_id):
    response = api.get(f"/organizations/acme/scim-tokens/{token_id}/")
    assert response.status_code == 404 and response.json() == error("not_found")


def test_another_organizations_token_is_404_and_untouched(api, other_org):
    theirs = ScimTokenFactory(organization=other_org)
    for response in (api.get(f"/organizations/acme/scim-tokens/{theirs.pk}/"),
                     api.post(f"/organizations/acme/scim-tokens/{theirs.pk}/revoke/")):
        assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None

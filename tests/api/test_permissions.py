"""Who may call which endpoint, for every endpoint of the schema: exactly the admin's rule.

No credentials, or a revoked, expired or deactivated owner's key: 401 with the challenge. A
member (not an admin): 403. Another organization's admin, or a key narrowed to another
organization: 404 for everything of Acme, and nothing changes. The admin's own session works
too, with CSRF on writes; a SAML session speaks only for the organization that signed it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from api.models import ApiKey
from orgs.models import AuditEvent, Membership
from orgs.permissions import SESSION_SCOPE_KEY
from tests.api.conftest import ApiClient, error, make_key
from tests.factories import (
    AdminMembershipFactory,
    GroupFactory,
    MembershipFactory,
    ScimTokenFactory,
)

pytestmark = pytest.mark.django_db

# Every operation of /api/v1 with a body that would succeed for Acme's admin.
ENDPOINTS = [
    ("get", "/organizations/{org}/", None),
    ("patch", "/organizations/{org}/", {"name": "Taken over"}),
    ("get", "/organizations/{org}/members/", None),
    ("get", "/organizations/{org}/members/{member}/", None),
    ("patch", "/organizations/{org}/members/{member}/", {"role": "admin"}),
    ("delete", "/organizations/{org}/members/{member}/", None),
    ("post", "/organizations/{org}/members/{member}/deactivate/", None),
    ("post", "/organizations/{org}/members/{member}/reactivate/", None),
    ("get", "/organizations/{org}/groups/", None),
    ("get", "/organizations/{org}/groups/{group}/", None),
    ("get", "/organizations/{org}/scim-tokens/", None),
    ("post", "/organizations/{org}/scim-tokens/", {"description": "mine now"}),
    ("get", "/organizations/{org}/scim-tokens/{token}/", None),
    ("post", "/organizations/{org}/scim-tokens/{token}/revoke/", None),
    ("get", "/organizations/{org}/saml-connection/", None),
    ("patch", "/organizations/{org}/saml-connection/", {"is_active": False}),
    ("get", "/organizations/{org}/audit-events/", None),
]
ALL = [*ENDPOINTS, ("get", "/organizations/", None)]
IDS = [f"{m.upper()} {p}" for m, p, _ in ALL]


def test_the_matrix_covers_every_operation_of_the_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = {(method, path.removeprefix("/api/v1").replace("member_id", "member")
                   .replace("group_id", "group").replace("token_id", "token"))
                  for path, item in schema["paths"].items() for method in item}
    assert operations == {(m, p) for m, p, _ in ALL}


@pytest.fixture
def acme(org, org_admin):
    """Objects of Acme to aim at, by id."""
    member = MembershipFactory(organization=org)
    return {"org": str(org.pk), "member": str(member.pk),
            "group": str(GroupFactory(organization=org, members=[member]).pk),
            "token": str(ScimTokenFactory(organization=org).pk)}


def call(client: ApiClient, method: str, path: str, body, ids):
    return client.request(method, path.format(**ids), body)


@pytest.mark.parametrize(("method", "path", "body"), ALL, ids=IDS)
def test_no_credentials_is_401_with_the_challenge(anonymous_api, acme, method, path, body):
    response = call(anonymous_api, method, path, body, acme)
    assert response.status_code == 401
    assert response.json() == error("not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="Roster API"'


@pytest.mark.parametrize("state", ["revoked", "expired", "owner deactivated", "unknown",
                                   "not bearer"])
@pytest.mark.parametrize(("method", "path", "body"), ALL, ids=IDS)
def test_a_key_that_no_longer_works_is_401(api, org_admin, acme, state, method, path, body):
    key = ApiKey.objects.get(user=org_admin.user)
    if state == "revoked":
        ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    elif state == "expired":
        ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif state == "owner deactivated":
        type(org_admin.user).objects.filter(pk=org_admin.user.pk).update(is_active=False)
    elif state == "unknown":
        api.key = api.key[:-4] + "AAAA"
    before = AuditEvent.objects.count()
    extra = {"HTTP_AUTHORIZATION": f"Basic {api.key}"} if state == "not bearer" else {}
    response = (api.client.generic(method.upper(), "/api/v1" + path.format(**acme), **extra)
                if extra else call(api, method, path, body, acme))
    assert response.status_code == 401
    assert response.json() == error("authentication_failed")
    assert response["WWW-Authenticate"] == 'Bearer realm="Roster API"'
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(("method", "path", "body"), ALL, ids=IDS)
def test_a_member_is_not_an_admin(member_api, acme, method, path, body):
    before = AuditEvent.objects.count()
    response = call(member_api, method, path, body, acme)
    assert response.status_code == 403
    assert response.json() == error("permission_denied")
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS[:-1])
def test_another_organizations_admin_gets_404_and_changes_nothing(
    other_api, acme, org, method, path, body
):
    before = AuditEvent.objects.filter(organization=org).count()
    for ids in (acme, acme | {"org": "acme"}):  # by id and by slug
        response = call(other_api, method, path, body, ids)
        assert response.status_code == 404, response.json()
        assert response.json() == error("not_found")
    assert AuditEvent.objects.filter(organization=org).count() == before
    assert Membership.objects.get(pk=acme["member"]).is_active


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS[:-1])
def test_a_key_narrowed_to_one_organization_cannot_reach_another(
    org, other_org, acme, method, path, body
):
    """Its owner administers both; the key speaks for Globex only."""
    owner = AdminMembershipFactory(organization=org).user
    MembershipFactory(organization=other_org, user=owner, role="admin")
    narrowed = ApiClient(Client(), make_key(owner, organization=other_org,
                                            orgs=[org, other_org]))
    assert call(narrowed, method, path, body, acme).status_code == 404
    assert [o["slug"] for o in narrowed.get("/organizations/").json()["results"]] == ["globex"]


def test_an_admin_lists_only_their_organizations(other_api, org, other_org):
    body = other_api.get("/organizations/").json()
    assert [o["slug"] for o in body["results"]] == ["globex"]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS[:-1])
def test_an_operator_reaches_every_organization(superuser_api, acme, method, path, body):
    response = call(superuser_api, method, path, body, acme)
    assert response.status_code < 400, response.json() if response.content else None


def test_demoting_the_owner_narrows_the_key_at_once(api, org, org_admin, acme):
    AdminMembershipFactory(organization=org)  # so org_admin is not the last admin
    assert api.get("/organizations/acme/").status_code == 200
    Membership.objects.filter(pk=org_admin.pk).update(role="member")
    assert api.get("/organizations/acme/").status_code == 403


def test_the_admins_own_session_works_with_csrf_on_writes(org, org_admin, acme):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org_admin.user)
    session = ApiClient(client)
    assert session.get("/organizations/acme/members/").status_code == 200
    response = session.patch("/organizations/acme/", {"name": "No CSRF"})
    assert response.status_code == 403
    assert response.json() == error("permission_denied")
    client.get("/admin/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = session.patch("/organizations/acme/", {"name": "With CSRF"},
                             HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200 and response.json()["name"] == "With CSRF"


def test_a_saml_session_speaks_only_for_the_organization_that_signed_it(org, other_org):
    both = AdminMembershipFactory(organization=org).user
    MembershipFactory(organization=other_org, user=both, role="admin")
    client = Client()
    client.force_login(both)
    session = client.session
    session[SESSION_SCOPE_KEY] = [str(other_org.pk)]
    session.save()
    assert ApiClient(client).get("/organizations/acme/").status_code == 404
    assert ApiClient(client).get("/organizations/globex/").status_code == 200

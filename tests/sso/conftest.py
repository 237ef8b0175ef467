"""SSO fixtures: a public BASE_URL with a dotted host, a test IdP and orgs wired to it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from orgs.models import AuditEvent, Organization
from sso import saml
from sso.models import SamlConnection
from tests.sso.idp import TestIdP, encode, make_key_pair

BASE_URL = "https://sp.example.com"
HOST = "sp.example.com"


@pytest.fixture(autouse=True)
def public_base_url(settings):
    settings.BASE_URL = BASE_URL
    settings.ALLOWED_HOSTS = [HOST, "roster-internal", "testserver"]
    return BASE_URL


@pytest.fixture
def idp() -> TestIdP:
    return TestIdP()


@pytest.fixture
def evil_idp() -> TestIdP:
    """Same issuer as ``idp`` but its own key: what an attacker who copies metadata has."""
    return TestIdP(keys=make_key_pair("attacker"))


def connect(org: Organization, idp: TestIdP) -> SamlConnection:
    conn, _ = SamlConnection.objects.update_or_create(
        organization=org,
        defaults={
            "idp_entity_id": idp.entity_id, "idp_sso_url": idp.sso_url,
            "idp_x509_cert": idp.keys.cert_pem, "is_active": True,
        },
    )
    return conn


@pytest.fixture
def saml_org(org, idp) -> Organization:
    """``org`` (Acme) with an active SAML connection to ``idp``."""
    connect(org, idp)
    return org


def post_acs(
    client: Client, org: Organization, response_xml: str, relay_state: str | None = None
):
    data = {"SAMLResponse": encode(response_xml)}
    if relay_state is not None:
        data["RelayState"] = relay_state
    return client.post(
        reverse("sso:acs", args=[org.slug]), data, HTTP_HOST=HOST, secure=True
    )


@pytest.fixture
def sign_in(client, idp) -> Callable[..., object]:
    """POST an IdP-initiated, correctly signed response for ``email`` to ``org``'s ACS."""

    def go(org: Organization, email: str, **kwargs: object):
        xml = idp.response_xml(
            email=email, acs_url=saml.acs_url(org), audience=saml.sp_entity_id(org), **kwargs
        )
        return post_acs(client, org, xml)

    return go


def good_response(idp: TestIdP, org: Organization, email: str, **kwargs: object) -> str:
    """A correctly signed response for ``email``, addressed to ``org``."""
    return idp.response_xml(
        email=email, acs_url=saml.acs_url(org), audience=saml.sp_entity_id(org), **kwargs
    )


def start_login(client: Client, org: Organization, **extra: object):
    """GET the org's SP-initiated login start (the redirect to the IdP)."""
    return client.get(reverse("sso:login", args=[org.slug]), HTTP_HOST=HOST, secure=True, **extra)


def refusals(org: Organization, reason: str | None = None) -> list[AuditEvent]:
    qs = AuditEvent.objects.filter(organization=org, action="sso.login.refused")
    return [e for e in qs if reason is None or e.data.get("reason") == reason]


def assert_refused(response, org: Organization, reason: str, because: str = "") -> None:
    """Refused with a clear page linking back to the org's sign-in, no session, and one audit
    event saying why."""
    assert response.status_code in (400, 403), response.status_code
    assert b"Sign-in refused" in response.content
    assert f'href="{reverse("sso:login", args=[org.slug])}"'.encode() in response.content
    assert "_auth_user_id" not in response.wsgi_request.session
    events = refusals(org, reason)
    assert len(events) == 1, [e.data for e in refusals(org)]
    assert because in events[0].data.get("detail", ""), events[0].data

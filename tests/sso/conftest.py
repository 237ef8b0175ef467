"""SSO fixtures: a public BASE_URL with a dotted host, a test IdP and orgs wired to it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from orgs.models import Organization
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

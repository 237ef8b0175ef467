"""The SAML connection: read (with what to paste into the IdP), change the IdP settings and
activate/deactivate it through the SAML tab's services, with their refusals."""

from __future__ import annotations

import pytest

from orgs.models import AuditEvent
from orgs.plans import Plan
from sso import saml
from sso.models import SamlConnection
from tests.api.conftest import error
from tests.factories import AdminMembershipFactory, OrganizationFactory
from tests.sso.idp import TestIdP, make_key_pair, metadata_for

pytestmark = pytest.mark.django_db

PATH = "/organizations/initech/saml-connection/"


@pytest.fixture
def new_org(db):
    return OrganizationFactory(name="Initech", slug="initech")


@pytest.fixture
def initech_api(new_org):
    from django.test import Client

    from tests.api.conftest import ApiClient, make_key

    admin = AdminMembershipFactory(organization=new_org)
    return ApiClient(Client(), make_key(admin.user, orgs=[new_org]))


@pytest.fixture
def idp() -> TestIdP:
    return TestIdP()


def settings_of(idp: TestIdP) -> dict[str, str]:
    return {"idp_entity_id": idp.entity_id, "idp_sso_url": idp.sso_url,
            "idp_x509_cert": idp.keys.cert_pem}


def test_before_any_settings_it_says_what_to_paste_into_okta(initech_api, new_org):
    body = initech_api.get(PATH).json()
    assert body == {
        "sp_entity_id": saml.sp_entity_id(new_org), "sp_acs_url": saml.acs_url(new_org),
        "provider": "okta", "idp_entity_id": "", "idp_sso_url": "", "idp_x509_cert": "",
        "certificate": None, "is_active": False, "configured_at": None, "last_login_at": None,
        "enforce_ready": False,
    }


def test_save_then_activate(initech_api, new_org, idp):
    response = initech_api.patch(PATH, settings_of(idp))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["idp_entity_id"] == idp.entity_id and body["configured_at"]
    assert body["certificate"]["sha256_fingerprint"].count(":") == 31
    assert body["is_active"] is False
    body = initech_api.patch(PATH, {"is_active": True}).json()
    assert body["is_active"] is True
    actions = list(AuditEvent.objects.filter(organization=new_org, action__startswith="sso.")
                   .order_by("id")
                   .values_list("action", flat=True))
    assert actions == ["sso.saml.configured", "sso.saml.activated"]


def test_a_partial_update_merges_with_the_saved_settings(initech_api, new_org, idp):
    initech_api.patch(PATH, settings_of(idp))
    body = initech_api.patch(PATH, {"idp_sso_url": "https://acme.okta.com/new/sso"}).json()
    assert body["idp_sso_url"] == "https://acme.okta.com/new/sso"
    assert body["idp_entity_id"] == idp.entity_id


def test_metadata_xml_fills_the_settings(initech_api, idp):
    body = initech_api.patch(PATH, {"idp_metadata_xml": metadata_for(idp)}).json()
    assert body["idp_entity_id"] == idp.entity_id and body["idp_sso_url"] == idp.sso_url


@pytest.mark.parametrize(("body", "fields"), [
    ({"idp_entity_id": "", "idp_sso_url": "http://insecure.example/sso"}, {
        "idp_entity_id": ["Paste the IdP issuer (Okta: Identity Provider Issuer)."],
        "idp_sso_url": ["The IdP single sign-on URL must be an https:// URL."],
        "idp_x509_cert": ["Paste the IdP's X.509 signing certificate."]}),
    ({"idp_metadata_xml": "<not metadata"},
     {"idp_metadata_xml": ["This metadata XML could not be read."]}),
    ({"provider": "ping"}, {"provider": ['"ping" is not a valid choice.']}),
    ({"sp_entity_id": "x"}, {"sp_entity_id": ["Unknown field."]}),
])
def test_settings_that_cannot_work_are_400_naming_the_fields(initech_api, new_org, body,
                                                             fields):
    response = initech_api.patch(PATH, body)
    assert response.status_code == 400
    assert response.json() == error("invalid", fields=fields)
    assert not SamlConnection.objects.filter(organization=new_org).exists()


def test_an_expired_certificate_is_refused(initech_api, idp):
    old = make_key_pair("old", not_before_days=-400, not_after_days=-2).cert_pem
    response = initech_api.patch(PATH, settings_of(idp) | {"idp_x509_cert": old})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["idp_x509_cert"]


def test_activating_without_settings_is_409(initech_api):
    response = initech_api.patch(PATH, {"is_active": True})
    assert response.status_code == 409 and response.json() == error("precondition_failed")


def test_deactivating_while_sso_is_enforced_is_refused(initech_api, new_org, idp):
    initech_api.patch(PATH, settings_of(idp) | {"is_active": True})
    conn = SamlConnection.objects.get(organization=new_org)
    conn.last_login_at = conn.configured_at
    conn.save()
    assert initech_api.patch("/organizations/initech/", {"sso_enforced": True}).status_code == 200
    response = initech_api.patch(PATH, {"is_active": False})
    assert response.status_code == 409 and response.json() == error("precondition_failed")
    assert SamlConnection.objects.get(organization=new_org).is_active


def test_deactivate_is_audited_and_idempotent(initech_api, new_org, idp):
    initech_api.patch(PATH, settings_of(idp) | {"is_active": True})
    assert initech_api.patch(PATH, {"is_active": False}).json()["is_active"] is False
    assert initech_api.patch(PATH, {"is_active": False}).status_code == 200
    assert AuditEvent.objects.filter(action="sso.saml.deactivated").count() == 1


def test_a_plan_without_saml_is_403(initech_api, new_org, idp):
    new_org.plan = Plan.FREE
    new_org.save()
    assert initech_api.get(PATH).status_code == 200  # reading is fine
    response = initech_api.patch(PATH, settings_of(idp))
    assert response.status_code == 403 and response.json() == error("feature_not_available")

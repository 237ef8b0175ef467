"""SAML connection services: validation, configured_at, activation and their audit events."""

from __future__ import annotations

import pytest

from orgs.exceptions import FeatureNotAvailable, PreconditionFailed
from orgs.models import AuditEvent
from orgs.plans import Plan
from sso import saml, services
from sso.exceptions import SamlSettingsInvalid
from sso.models import SamlConnection
from tests.factories import OrganizationFactory
from tests.sso.idp import TestIdP, make_key_pair, metadata_for

pytestmark = pytest.mark.django_db

def save(org, actor, idp: TestIdP, **overrides):
    values = {
        "idp_entity_id": idp.entity_id, "idp_sso_url": idp.sso_url,
        "idp_x509_cert": idp.keys.cert_pem,
    } | overrides
    return services.saml_connection_save(organization=org, actor=actor, **values)


def test_save_stamps_configured_at_and_audits_without_the_certificate(actor, idp):
    org = OrganizationFactory()
    conn = save(org, actor, idp)
    assert conn.configured_at is not None and not conn.is_active
    event = AuditEvent.objects.get(organization=org, action="sso.saml.configured")
    assert saml.certificate_body(idp.keys.cert_pem) not in str(event.data)
    assert event.data["certificate_sha256"].count(":") == 31


def test_saving_the_same_settings_changes_nothing(actor, idp):
    org = OrganizationFactory()
    first = save(org, actor, idp).configured_at
    assert save(org, actor, idp).configured_at == first
    assert AuditEvent.objects.filter(action="sso.saml.configured").count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("idp_sso_url", "http://acme.okta.com/app/sso/saml", "https://"),
        ("idp_x509_cert", "-----BEGIN CERTIFICATE-----\nnot a cert\n-----END CERTIFICATE-----",
         "not a valid X.509 certificate"),
        ("idp_x509_cert", "", "Paste the IdP"),
        ("idp_entity_id", "  ", "issuer"),
    ],
)
def test_invalid_settings_are_refused_per_field(actor, idp, field, value, message):
    org = OrganizationFactory()
    with pytest.raises(SamlSettingsInvalid) as exc:
        save(org, actor, idp, **{field: value})
    assert message in exc.value.errors[field]
    assert not SamlConnection.objects.filter(organization=org).exists()


def test_expired_certificate_is_refused(actor):
    expired = TestIdP(keys=make_key_pair("old", not_before_days=-400, not_after_days=-1))
    with pytest.raises(SamlSettingsInvalid) as exc:
        save(OrganizationFactory(), actor, expired)
    assert "expired" in exc.value.errors["idp_x509_cert"]


def test_saml_needs_the_enterprise_plan(actor, idp):
    with pytest.raises(FeatureNotAvailable):
        save(OrganizationFactory(plan=Plan.PRO), actor, idp)


def test_activate_and_deactivate(actor, idp):
    org = OrganizationFactory()
    with pytest.raises(PreconditionFailed):
        services.saml_connection_activate(organization=org, actor=actor)
    save(org, actor, idp)
    assert services.saml_connection_activate(organization=org, actor=actor).is_active
    assert not services.saml_connection_deactivate(organization=org, actor=actor).is_active
    actions = list(
        AuditEvent.objects.filter(organization=org).order_by("id").values_list("action", flat=True)
    )
    assert actions == ["sso.saml.configured", "sso.saml.activated", "sso.saml.deactivated"]


def test_idp_metadata_fills_the_settings(idp):
    parsed = saml.idp_metadata_parse(metadata_for(idp))
    assert parsed["idp_entity_id"] == idp.entity_id
    assert parsed["idp_sso_url"] == idp.sso_url
    assert saml.certificate_body(parsed["idp_x509_cert"]) == saml.certificate_body(
        idp.keys.cert_pem
    )


def test_idp_metadata_with_entities_is_refused():
    evil = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    with pytest.raises(ValueError):
        saml.idp_metadata_parse(evil)

"""``manage.py saml configure|activate|deactivate|status``: an operator sets up a tenant's SAML
SSO from the shell, through the same services and rules as the SAML tab."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from orgs.models import AuditEvent
from sso.models import SamlConnection
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.sso.conftest import BASE_URL, good_response, post_acs
from tests.sso.idp import make_key_pair, metadata_for

pytestmark = pytest.mark.django_db


def saml(*args: str) -> str:
    out = io.StringIO()
    call_command("saml", *args, stdout=out)
    return out.getvalue()


def refused(*args: str) -> str:
    with pytest.raises(CommandError) as info:
        saml(*args)
    message = str(info.value)
    assert "\n" not in message  # one line
    return message


@pytest.fixture
def initech(db):
    return OrganizationFactory(name="Initech", slug="initech")


@pytest.fixture
def cert_file(tmp_path, idp):
    path = tmp_path / "okta.cert"
    path.write_text(idp.keys.cert_pem)
    return str(path)


def test_end_to_end_from_the_shell(initech, idp, cert_file, client):
    status = saml("status", "--org", "initech")
    assert "SAML SSO for initech: not configured" in status
    assert f"Single sign-on URL:          {BASE_URL}/sso/saml/initech/acs/" in status
    assert f"Audience URI (SP Entity ID): {BASE_URL}/sso/saml/initech/metadata/" in status
    assert "email = user.email, firstName = user.firstName, lastName = user.lastName" in status

    out = saml("configure", "--org", "initech", "--entity-id", idp.entity_id,
               "--sso-url", idp.sso_url, "--cert", cert_file)
    assert "SAML settings saved for initech (not active yet: run `saml activate`)." in out
    assert f"Issuer:          {idp.entity_id}" in out
    assert re.search(r"Certificate:     CN=okta-test, valid until \d{4}-\d\d-\d\d", out)
    assert saml("activate", "--org", "initech") == "SAML SSO is active for initech.\n"
    # The tenant works: a signed sign-in is accepted, and status shows it.
    MembershipFactory(organization=initech, user=UserFactory(email="milton@initech.example"))
    response = post_acs(client, initech, good_response(idp, initech, "milton@initech.example"))
    assert response.status_code == 302
    assert "Last SAML login: never" not in saml("status", "--org", "initech")
    actions = list(AuditEvent.objects.filter(organization=initech)
                   .order_by("id").values_list("action", "actor_kind"))
    assert actions[:2] == [("sso.saml.configured", "operator"), ("sso.saml.activated",
                                                                 "operator")]


def test_configure_from_metadata(initech, idp, tmp_path):
    path = tmp_path / "metadata.xml"
    path.write_text(metadata_for(idp))
    saml("configure", "--org", "initech", "--metadata", str(path), "--provider", "okta")
    conn = SamlConnection.objects.get(organization=initech)
    assert (conn.idp_entity_id, conn.idp_sso_url) == (idp.entity_id, idp.sso_url)


@pytest.mark.parametrize(("args", "message"), [
    (["--entity-id", "x", "--sso-url", "https://idp.example/sso"],
     "Give --metadata FILE, or all of --entity-id, --sso-url and --cert FILE."),
    ([], "Give --metadata FILE, or all of --entity-id, --sso-url and --cert FILE."),
    (["--metadata", "/nonexistent.xml"], "/nonexistent.xml: no such file."),
    (["--entity-id", "x", "--sso-url", "http://idp.example/sso", "--cert", "CERT"],
     "The IdP single sign-on URL must be an https:// URL."),
    (["--entity-id", "x", "--sso-url", "https://idp.example/sso", "--cert", "GARBAGE"],
     "This is not a valid X.509 certificate"),
    (["--entity-id", "x", "--sso-url", "https://idp.example/sso", "--cert", "EXPIRED"],
     "This certificate expired on"),
    (["--metadata", "GARBAGE", "--entity-id", "x"], "not both"),
    (["--metadata", "GARBAGE"], "This metadata XML could not be read."),
])
def test_bad_settings_are_one_clear_line_and_save_nothing(
    initech, cert_file, tmp_path, args, message
):
    garbage = tmp_path / "garbage"
    garbage.write_text("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n<x")
    expired = tmp_path / "expired.pem"
    expired.write_text(make_key_pair("old", not_before_days=-30, not_after_days=-1).cert_pem)
    files = {"CERT": cert_file, "GARBAGE": str(garbage), "EXPIRED": str(expired)}
    assert message in refused("configure", "--org", "initech", *[files.get(a, a) for a in args])
    assert not SamlConnection.objects.exists()
    assert not AuditEvent.objects.exists()


def test_the_tabs_rules_hold(org, idp, cert_file):
    """Activation needs settings; deactivation is refused while enforced, and while SCIM is on
    it needs --yes (the tab's confirmation), after which SCIM calls are refused."""
    OrganizationFactory(slug="fresh")
    assert refused("activate", "--org", "fresh") == (
        "Save the IdP settings before activating SAML SSO."
    )
    assert refused("status", "--org", "nope") == "No organization with slug 'nope'."
    saml("configure", "--org", "acme", "--entity-id", idp.entity_id, "--sso-url", idp.sso_url,
         "--cert", cert_file)
    org.sso_enforced = True
    org.save()
    assert "Turn off “Enforce SAML SSO”" in refused("deactivate", "--org", "acme")
    org.sso_enforced = False
    org.save()
    message = refused("deactivate", "--org", "acme")
    assert message.startswith("SCIM provisioning is on for Acme: while SAML SSO is off, every "
                              "SCIM call from your identity provider is refused (403)")
    assert message.endswith("Run again with --yes to confirm.")
    assert SamlConnection.objects.get(organization=org).is_active
    out = saml("deactivate", "--org", "acme", "--yes")
    assert "SAML SSO is deactivated for acme." in out
    assert "every SCIM call is refused (403)" in out
    assert not SamlConnection.objects.get(organization=org).is_active
    event = AuditEvent.objects.filter(action="sso.saml.deactivated").get()
    assert event.data == {"scim_enabled": True}

"""Values a signed IdP sends that Roster cannot store are refusals (``invalid_attribute``),
never a 500, the same on SQLite and PostgreSQL, and nothing but the audit event is written."""

from __future__ import annotations

import datetime as dt

import pytest

from orgs.models import AuditEvent, Membership, User
from sso import saml
from sso.models import SamlConnection, SamlConsumedAssertion
from tests.factories import MembershipFactory, UserFactory
from tests.sso.conftest import assert_refused, good_response, post_acs, refusals

pytestmark = pytest.mark.django_db

# 255 characters that pass Django's validate_email (it allows up to 320): one over User.email.
OVER_LONG_EMAIL = "a" * 61 + "@" + ".".join(["b" * 60] * 3) + ".example.co"
assert len(OVER_LONG_EMAIL) == 255


@pytest.fixture
def jit_org(saml_org):
    saml_org.sso_jit_provisioning = True
    saml_org.save()
    return saml_org


def written() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "audit events": AuditEvent.objects.count(),
        "spent assertions": SamlConsumedAssertion.objects.count(),
    }


def test_jit_with_an_over_long_email_is_refused_and_writes_only_the_audit_event(
    client, jit_org, idp
):
    before = written()
    xml = good_response(idp, jit_org, OVER_LONG_EMAIL)

    response = post_acs(client, jit_org, xml)

    assert_refused(response, jit_org, "invalid_attribute",
                   because="email must be at most 254 characters")
    assert b"email must be at most 254 characters" in response.content
    assert written() == before | {"audit events": before["audit events"] + 1}
    assert not User.objects.filter(email__iexact=OVER_LONG_EMAIL).exists()
    assert SamlConnection.objects.get(organization=jit_org).last_login_at is None
    (event,) = refusals(jit_org)
    assert OVER_LONG_EMAIL not in str(event.data)


@pytest.mark.parametrize(
    ("email", "names", "because"),
    [
        ("not-an-email", {}, "email is not a valid email address"),
        ("fresh@exa\u202emple.com", {}, "email contains a bidirectional control character"),
        ("fresh\u0085@okta.local", {}, "email contains a control character (U+0085)"),
        ("fresh@okta.local", {"firstName": "F" * 151}, "firstName must be at most 150"),
        ("fresh@okta.local", {"lastName": "Face\u202e"}, "lastName contains a bidirectional"),
        ("fresh@okta.local", {"firstName": "Fr\u007fesh"}, "firstName contains a control"),
    ],
    ids=["malformed", "bidi-email", "control-email", "long-first-name", "bidi-last-name",
         "control-first-name"],
)
def test_jit_with_a_value_roster_cannot_store_is_refused(
    client, jit_org, idp, email, names, because
):
    before = written()
    attributes = {"email": email, "firstName": "Fresh", "lastName": "Face"} | names
    xml = good_response(idp, jit_org, email, attributes=attributes)

    response = post_acs(client, jit_org, xml)

    assert_refused(response, jit_org, "invalid_attribute", because=because)
    assert written() == before | {"audit events": before["audit events"] + 1}


def test_a_nul_character_cannot_even_be_sent(client, jit_org, idp):
    """XML 1.0 has no NUL, not even as a character reference: the response is unreadable,
    refused like any broken response (not a 500 on PostgreSQL)."""
    xml = good_response(idp, jit_org, "fresh@okta.local").replace(
        ">Test</saml2:AttributeValue>", ">Te&#0;st</saml2:AttributeValue>"
    )
    assert_refused(post_acs(client, jit_org, xml), jit_org, "invalid_response",
                   because="Unreadable response")
    assert not User.objects.filter(email="fresh@okta.local").exists()


def test_an_existing_member_is_held_to_the_same_rule(client, saml_org, idp):
    """The rule is about what the IdP sends, whoever it names."""
    user = UserFactory(email="test.user@okta.local", setup_completed_at=dt.datetime.now(dt.UTC))
    MembershipFactory(organization=saml_org, user=user)
    xml = good_response(idp, saml_org, user.email, last_name="User\u202e")
    assert_refused(post_acs(client, saml_org, xml), saml_org, "invalid_attribute")
    assert not AuditEvent.objects.filter(action="sso.login.succeeded").exists()


def test_an_email_in_the_attribute_is_used_when_the_name_id_is_not_one(client, jit_org, idp):
    """Unchanged: a NameID that is no email address (an opaque id) defers to ``email``."""
    assertion = idp.assertion(
        email="fresh@okta.local", audience=saml.sp_entity_id(jit_org),
        recipient=saml.acs_url(jit_org),
    ).replace(">fresh@okta.local</saml2:NameID>", ">00u1abcdEFGH</saml2:NameID>")
    xml = idp.wrap(idp.sign(assertion), destination=saml.acs_url(jit_org))
    assert post_acs(client, jit_org, xml).status_code == 302
    assert User.objects.filter(email="fresh@okta.local").exists()

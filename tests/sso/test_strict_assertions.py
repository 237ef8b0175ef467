"""Responses correctly signed by the organization's IdP that python3-saml accepts but the SAML
profile forbids: each is refused with its own reason (sso.assertions), nothing is spent."""

from __future__ import annotations

import datetime as dt

import pytest

from sso import saml
from sso.models import SamlConsumedAssertion, SamlPendingRequest
from tests.factories import MembershipFactory, UserFactory
from tests.sso.conftest import assert_refused, good_response, post_acs, start_login
from tests.sso.idp import authn_request_from_redirect

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(saml_org):
    user = UserFactory(email="test.user@okta.local", setup_completed_at=dt.datetime.now(dt.UTC))
    return MembershipFactory(organization=saml_org, user=user)


def signed(idp, org, email: str, *, in_response_to: str | None = None,
           response_in_response_to: str | None = None, **shape: object) -> str:
    """A response whose assertion has ``shape`` (see ``TestIdP.assertion``), signed by ``idp``;
    the Response's own InResponseTo is set apart from the assertion's."""
    values = {"audience": saml.sp_entity_id(org), "recipient": saml.acs_url(org)} | shape
    assertion = idp.assertion(email=email, in_response_to=in_response_to, **values)
    return idp.wrap(idp.sign(assertion), destination=saml.acs_url(org),
                    in_response_to=response_in_response_to)


def assert_nothing_spent(org) -> None:
    assert not SamlConsumedAssertion.objects.filter(organization=org).exists()


def test_an_assertion_without_audience_restriction_is_refused(client, saml_org, member, idp):
    xml = signed(idp, saml_org, member.user.email, audience=None)
    response = post_acs(client, saml_org, xml)
    assert_refused(response, saml_org, "audience_missing", because="no AudienceRestriction")
    assert b"Audience URI" in response.content
    assert_nothing_spent(saml_org)


def test_every_audience_restriction_must_name_us(client, saml_org, member, idp):
    """Several AudienceRestrictions must all hold; python3-saml is content with ours in one."""
    org = saml_org
    assertion = idp.assertion(email=member.user.email, audience=saml.sp_entity_id(org),
                              recipient=saml.acs_url(org))
    assertion = assertion.replace(
        "</saml2:Conditions>",
        "<saml2:AudienceRestriction><saml2:Audience>https://other-sp.example.net/</saml2:Audience>"
        "</saml2:AudienceRestriction></saml2:Conditions>",
    )
    xml = idp.wrap(idp.sign(assertion), destination=saml.acs_url(org))
    assert_refused(post_acs(client, org, xml), org, "audience_missing",
                   because="does not name https://sp.example.com/sso/saml/acme/metadata/")


@pytest.mark.parametrize(
    "recipient",
    [None, "https://sp.example.com/sso/saml/acme/acs/more",
     "https://evil.example.net/?to=https://sp.example.com/sso/saml/acme/acs/"],
    ids=["missing", "longer", "containing-ours"],
)
def test_bearer_confirmation_recipient_must_be_our_acs_url(
    client, saml_org, member, idp, recipient
):
    """python3-saml accepts a missing Recipient, or one that merely contains the ACS URL."""
    xml = signed(idp, saml_org, member.user.email, recipient=recipient)
    response = post_acs(client, saml_org, xml)
    assert_refused(response, saml_org, "recipient_mismatch",
                   because="not https://sp.example.com/sso/saml/acme/acs/")
    assert b"Single sign-on URL" in response.content
    assert_nothing_spent(saml_org)


def test_bearer_confirmation_without_not_on_or_after_is_refused(client, saml_org, member, idp):
    xml = signed(idp, saml_org, member.user.email, confirmation_expires=False)
    assert_refused(post_acs(client, saml_org, xml), saml_org, "confirmation_unbounded",
                   because="SubjectConfirmationData has no NotOnOrAfter")
    assert_nothing_spent(saml_org)


def test_an_assertion_that_never_expires_is_refused(client, saml_org, member, idp):
    xml = signed(idp, saml_org, member.user.email, conditions_expire=False,
                 confirmation_expires=False)
    response = post_acs(client, saml_org, xml)
    assert_refused(response, saml_org, "validity_unbounded", because="would never expire")
    assert b"never expires" in response.content
    assert_nothing_spent(saml_org)


def test_an_assertion_bounded_by_its_confirmation_only_is_accepted(
    client, saml_org, member, idp
):
    """Conditions without NotOnOrAfter is allowed when the confirmation bounds the validity."""
    xml = signed(idp, saml_org, member.user.email, conditions_expire=False)
    assert post_acs(client, saml_org, xml).status_code == 302


@pytest.fixture
def pending(client, saml_org):
    """An SP-initiated login started at Acme: (AuthnRequest ID, RelayState)."""
    request_id, relay_state, _ = authn_request_from_redirect(
        start_login(client, saml_org)["Location"]
    )
    return request_id, relay_state


@pytest.mark.parametrize(
    ("on_response", "in_assertion"),
    [(False, True), (True, False)],
    ids=["response-without-in-response-to", "assertion-without-in-response-to"],
)
def test_an_answer_to_our_request_must_say_so_on_response_and_assertion(
    client, saml_org, member, idp, pending, on_response, in_assertion
):
    request_id, relay_state = pending
    xml = signed(
        idp, saml_org, member.user.email,
        in_response_to=request_id if in_assertion else None,
        response_in_response_to=request_id if on_response else None,
    )
    response = post_acs(client, saml_org, xml, relay_state=relay_state)
    assert_refused(response, saml_org, "in_response_to_mismatch", because=request_id)
    assert_nothing_spent(saml_org)
    # The request stays pending: only a valid answer uses it up.
    assert SamlPendingRequest.objects.filter(request_id=request_id).exists()


def test_an_sp_initiated_assertion_stripped_of_its_relay_state_is_refused(
    client, saml_org, member, idp, pending
):
    """The third response of issue 8: the assertion answers our request (its signed
    SubjectConfirmationData says so), posted without the Response's InResponseTo and without
    the RelayState, as if unsolicited."""
    request_id, _ = pending
    xml = signed(idp, saml_org, member.user.email, in_response_to=request_id)
    response = post_acs(client, saml_org, xml)
    assert_refused(response, saml_org, "unsolicited_in_response_to", because=request_id)
    assert_nothing_spent(saml_org)


def test_an_unsolicited_response_must_not_carry_in_response_to(client, saml_org, member, idp):
    """IdP-initiated (an Okta tile): an InResponseTo on the Response alone is refused too."""
    xml = signed(idp, saml_org, member.user.email, response_in_response_to="idNOTOURS")
    assert_refused(post_acs(client, saml_org, xml), saml_org, "unsolicited_in_response_to",
                   because="idNOTOURS")
    assert_nothing_spent(saml_org)


def test_an_unsolicited_response_with_okta_default_relay_state_is_accepted(
    client, saml_org, member, idp
):
    """Okta's tile may send a configured default RelayState: it is not ours, and with no
    InResponseTo anywhere the response is a plain IdP-initiated login."""
    xml = good_response(idp, saml_org, member.user.email)
    assert post_acs(client, saml_org, xml, relay_state="/account/").status_code == 302


def test_an_over_long_assertion_id_is_refused(client, saml_org, member, idp):
    xml = good_response(idp, saml_org, member.user.email, assertion_id="id" + "a" * 300)
    assert_refused(post_acs(client, saml_org, xml), saml_org, "invalid_response",
                   because="longer than 255")
    assert_nothing_spent(saml_org)

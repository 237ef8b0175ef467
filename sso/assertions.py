"""Strict checks on a SAML response that python3-saml has already validated.

python3-saml (strict mode) verifies the signature, issuer, Destination and time window, but it
lets through what the SAML 2.0 Web Browser SSO profile (saml-profiles-2.0-os, 4.1.4) forbids:
an assertion without an AudienceRestriction, a bearer SubjectConfirmationData without Recipient
or NotOnOrAfter (or with a Recipient that merely contains our ACS URL), an InResponseTo that
only the assertion carries. Each check here refuses with its own reason. Everything is read from
python3-saml's own parsed document (its hardened parser: no DTDs, no entities), and only from
the one assertion its signature check covered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lxml import etree
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.utils import OneLogin_Saml2_Utils
from onelogin.saml2.xml_utils import OneLogin_Saml2_XML

CLOCK_DRIFT = C.ALLOWED_CLOCK_DRIFT  # seconds python3-saml accepts past NotOnOrAfter
MAX_ASSERTION_ID = 255  # SamlConsumedAssertion.assertion_id
_LAST_SECOND = 253402300799  # 9999-12-31T23:59:59Z, the latest a datetime can hold
NS = C.NSMAP


class AssertionRefused(Exception):
    """The response breaks the profile; ``reason`` is the audit code, ``detail`` says how."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class CheckedAssertion:
    assertion_id: str
    # The last moment the assertion could still be accepted (its latest NotOnOrAfter plus the
    # clock drift python3-saml allows): the consumed id must be kept until then.
    expires_at: dt.datetime


def assertion_check(
    response: OneLogin_Saml2_Response, *, sp_entity_id: str, acs_url: str,
    request_id: str | None, relay_state_sent: bool,
) -> CheckedAssertion:
    """Refuse (``AssertionRefused``) what python3-saml accepted but the profile does not.

    ``request_id`` is the id of our pending AuthnRequest this response is meant to answer (an
    SP-initiated login), None for an unsolicited one (IdP-initiated, e.g. an Okta tile)."""
    assertion = _signed_assertion(response)
    _check_audience(assertion, sp_entity_id)
    confirmations = _bearer_confirmations(assertion)
    _check_recipient(confirmations, acs_url)
    expires_at = _upper_bound(assertion, confirmations)
    _check_in_response_to(response, confirmations, request_id, relay_state_sent)
    return CheckedAssertion(assertion_id=assertion.get("ID"), expires_at=expires_at)


def _signed_assertion(response: OneLogin_Saml2_Response) -> etree._Element:
    assertion_id = response.get_assertion_id() or ""
    nodes = OneLogin_Saml2_XML.query(
        response.get_xml_document(), "/samlp:Response/saml:Assertion[@ID=$tagid]", None,
        assertion_id,
    )
    if len(nodes) != 1:
        raise AssertionRefused("invalid_response", "The signed assertion was not found.")
    if len(assertion_id) > MAX_ASSERTION_ID:
        raise AssertionRefused(
            "invalid_response", f"The assertion ID is longer than {MAX_ASSERTION_ID} characters."
        )
    return nodes[0]


def _check_audience(assertion: etree._Element, sp_entity_id: str) -> None:
    """At least one AudienceRestriction, and each names us (restrictions are a conjunction)."""
    restrictions = assertion.findall("saml:Conditions/saml:AudienceRestriction", NS)
    if not restrictions:
        raise AssertionRefused("audience_missing", "The assertion has no AudienceRestriction.")
    for restriction in restrictions:
        audiences = [OneLogin_Saml2_XML.element_text(a)
                     for a in restriction.findall("saml:Audience", NS)]
        if sp_entity_id not in audiences:
            raise AssertionRefused(
                "audience_missing", f"An AudienceRestriction does not name {sp_entity_id}."
            )


def _bearer_confirmations(assertion: etree._Element) -> list[etree._Element | None]:
    """The SubjectConfirmationData of each bearer SubjectConfirmation (None where missing).
    A confirmation without Method counts as bearer, as python3-saml counts it."""
    return [
        confirmation.find("saml:SubjectConfirmationData", NS)
        for confirmation in assertion.findall("saml:Subject/saml:SubjectConfirmation", NS)
        if confirmation.get("Method") in (None, C.CM_BEARER)
    ]


def _check_recipient(confirmations: list[etree._Element | None], acs_url: str) -> None:
    """Every bearer SubjectConfirmationData names exactly our ACS URL as its Recipient
    (python3-saml accepts a missing Recipient, or one that merely contains the URL)."""
    for data in confirmations:
        recipient = data.get("Recipient") if data is not None else None
        if recipient != acs_url:
            shown = "missing" if recipient is None else repr(recipient[:200])
            raise AssertionRefused(
                "recipient_mismatch",
                f"A bearer SubjectConfirmationData Recipient is {shown}, not {acs_url}.",
            )


def _upper_bound(
    assertion: etree._Element, confirmations: list[etree._Element | None]
) -> dt.datetime:
    """When the assertion stops being acceptable. One without any NotOnOrAfter (neither on its
    Conditions nor on its SubjectConfirmationData) would be acceptable forever: refused; so is a
    bearer SubjectConfirmationData without NotOnOrAfter, which the profile requires."""
    conditions = assertion.find("saml:Conditions", NS)
    values = [conditions.get("NotOnOrAfter") if conditions is not None else None]
    confirmation_values = [d.get("NotOnOrAfter") if d is not None else None
                           for d in confirmations]
    if not any(values + confirmation_values):
        raise AssertionRefused(
            "validity_unbounded", "The assertion has no NotOnOrAfter: it would never expire."
        )
    if not all(confirmation_values):
        raise AssertionRefused(
            "confirmation_unbounded", "A bearer SubjectConfirmationData has no NotOnOrAfter."
        )
    try:
        latest = max(OneLogin_Saml2_Utils.parse_SAML_to_time(v) for v in values
                     + confirmation_values if v)
    except ValueError as exc:
        raise AssertionRefused("invalid_response", "Unreadable NotOnOrAfter.") from exc
    return dt.datetime.fromtimestamp(min(latest + CLOCK_DRIFT, _LAST_SECOND), dt.UTC)


def _check_in_response_to(
    response: OneLogin_Saml2_Response, confirmations: list[etree._Element | None],
    request_id: str | None, relay_state_sent: bool,
) -> None:
    """An answer to our AuthnRequest says so on the Response and in every bearer
    SubjectConfirmationData (the signed part); an unsolicited response says it nowhere."""
    on_response = response.get_in_response_to()
    in_assertion = [d.get("InResponseTo") for d in confirmations if d is not None]
    if request_id is not None:
        if on_response != request_id or any(irt != request_id for irt in in_assertion):
            raise AssertionRefused(
                "in_response_to_mismatch",
                f"InResponseTo is {on_response!r} on the Response and {in_assertion!r} in the "
                f"assertion; our request was {request_id}.",
            )
    elif on_response or any(in_assertion):
        # A RelayState we no longer hold means an expired or used request; no RelayState at all
        # means the response was never ours to wait for.
        reason = "request_unknown" if relay_state_sent else "unsolicited_in_response_to"
        raise AssertionRefused(
            reason,
            f"InResponseTo is {on_response!r} on the Response and {in_assertion!r} in the "
            "assertion, but no request of ours is pending for it.",
        )

"""SSO errors. Like ``orgs.exceptions`` they carry a message fit for the person who sees it."""

from __future__ import annotations

from orgs.exceptions import DomainError, InvalidInput


class SamlSettingsInvalid(InvalidInput):
    """IdP settings that cannot work; ``errors`` maps form field names to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


# What the person sees for each refusal reason (the audit event's ``reason``). ``{detail}`` is
# filled in only where the detail is theirs to read.
REFUSAL_MESSAGES = {
    "connection_inactive": "Single sign-on is not active for this organization.",
    "invalid_response": "The sign-in response from your identity provider could not be "
    "verified.",
    "request_unknown": "This sign-in request expired or was already used. Start again.",
    "wrong_organization": "This sign-in response was meant for another organization.",
    "replay": "This sign-in response was already used. Start again from your identity "
    "provider.",
    "unknown_user": "There is no account for you in this organization. Ask your administrator "
    "to assign you the Roster app.",
    "deactivated": "Your access to this organization has been removed. Contact your "
    "administrator.",
    "no_access": "Your role in this organization gives no access.",
    "operator": "Roster operators sign in with their password, not through an organization's "
    "single sign-on.",
    "ambiguous_user": "Several members of this organization use this email address, so it "
    "cannot tell which one you are. Ask your administrator to have the identity provider send "
    "your username as the SAML NameID.",
    "account_needs_proof": "A Roster account with this email address is already used by "
    "another organization. Sign in to that account first (through the organization that "
    "already uses it), then sign in here again to link it.",
    # sso.assertions: correctly signed, but not what the SAML profile allows.
    "audience_missing": "The sign-in response from your identity provider is not restricted to "
    "this organization (AudienceRestriction). Ask your administrator to check the Audience URI "
    "of the Roster app.",
    "recipient_mismatch": "The sign-in response from your identity provider is not addressed to "
    "this organization's sign-in URL (Recipient). Ask your administrator to check the Single "
    "sign-on URL of the Roster app.",
    "validity_unbounded": "The sign-in response from your identity provider never expires "
    "(it has no NotOnOrAfter), so it cannot be accepted.",
    "confirmation_unbounded": "The sign-in response from your identity provider does not say "
    "until when it may be used (SubjectConfirmationData NotOnOrAfter), so it cannot be "
    "accepted.",
    "in_response_to_mismatch": "This sign-in response does not answer the sign-in request "
    "Roster sent. Start again.",
    "unsolicited_in_response_to": "This sign-in response answers a sign-in request that was not "
    "started here. Start again.",
    "invalid_attribute": "Your identity provider sent a value Roster cannot accept: {detail} "
    "Ask your administrator to check what the Roster app sends.",
}
# Refusals a fresh login may cure; for the others a "try again" button would only frustrate.
RETRYABLE = frozenset({
    "invalid_response", "request_unknown", "replay", "wrong_organization",
    "in_response_to_mismatch", "unsolicited_in_response_to",
})


class LoginRefused(DomainError):
    """A SAML login we refuse. ``reason`` is a stable code for the audit log and the tests."""

    code = "login_refused"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason

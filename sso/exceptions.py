"""SSO errors. Like ``orgs.exceptions`` they carry a message fit for the person who sees it."""

from __future__ import annotations

from orgs.exceptions import DomainError, InvalidInput


class SamlSettingsInvalid(InvalidInput):
    """IdP settings that cannot work; ``errors`` maps form field names to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


class LoginRefused(DomainError):
    """A SAML login we refuse. ``reason`` is a stable code for the audit log and the tests."""

    code = "login_refused"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason

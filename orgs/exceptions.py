"""Errors the services raise. Callers translate them: a SCIM error body, a form error, a
one-line command failure. ``code`` is stable and machine-readable."""

from __future__ import annotations


class DomainError(Exception):
    code = "invalid"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AlreadyExists(DomainError):
    code = "uniqueness"


class LastAdminError(DomainError):
    code = "last_admin"


class CrossOrganizationError(DomainError):
    code = "cross_organization"


class FeatureNotAvailable(DomainError):
    code = "feature_not_available"


class PreconditionFailed(DomainError):
    code = "precondition_failed"


class InvalidInput(DomainError):
    code = "invalid"


class NotFound(DomainError):
    """The object is gone (deleted by a concurrent request)."""

    code = "not_found"

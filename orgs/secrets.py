"""What SCIM tokens and API keys share: when a bearer secret is usable. Written once here."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


class RevocableSecret:
    """Mixed into a model with ``revoked_at`` and ``expires_at`` (None: never expires)."""

    revoked_at: datetime | None
    expires_at: datetime | None

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return "expired"
        return "active"

    @property
    def is_usable(self) -> bool:
        return self.status == "active"

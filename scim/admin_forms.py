"""Forms of the SSO page's Provisioning tab: they validate input, the services write.

The token-create and token-rotate forms carry a one-time nonce (see
``scim.admin_tokens.scim_token_create``): a signed random value issued with the form and
consumed by the first successful submission, so a reloaded or replayed POST creates nothing and
shows no token.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django import forms
from django.core import signing
from django.core.cache import cache

from orgs.exceptions import DomainError
from orgs.models import Role
from scim.services import (
    DEFAULT_ROTATION_OVERLAP,
    DESCRIPTION_MAX_LENGTH,
    MAX_ROTATION_OVERLAP,
    MAX_TTL_DAYS,
)
from scim.services.tokens import clean_description

NONCE_SALT = "roster.scim.token-create-nonce"
NONCE_MAX_AGE = 60 * 60  # a create form older than an hour must be reloaded
# The "used" mark outlives the nonce's validity, so a nonce can never become fresh again.
NONCE_USED_TIMEOUT = NONCE_MAX_AGE + 10 * 60


def issue_nonce() -> str:
    return signing.TimestampSigner(salt=NONCE_SALT).sign(secrets.token_urlsafe(16))


def consume_nonce(nonce: str) -> bool:
    """True the first time a nonce is presented, False ever after (across all processes:
    the cache is shared, and ``add`` only writes a key that is absent)."""
    key = "roster:scim-token-nonce:" + hashlib.sha256(nonce.encode()).hexdigest()
    return cache.add(key, 1, timeout=NONCE_USED_TIMEOUT)


class NonceForm(forms.Form):
    """A form whose submission may be used once (``consume_nonce`` in the view)."""

    nonce = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["nonce"] = issue_nonce()

    def clean_nonce(self) -> str:
        nonce = self.cleaned_data["nonce"]
        try:
            signing.TimestampSigner(salt=NONCE_SALT).unsign(nonce, max_age=NONCE_MAX_AGE)
        except signing.BadSignature as exc:  # includes SignatureExpired
            raise forms.ValidationError(
                "This form has expired. Open Manage SCIM Tokens again and create the token "
                "from the fresh form.",
                code="expired",
            ) from exc
        return nonce


class ScimTokenCreateForm(NonceForm):
    description = forms.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, strip=True,
        help_text="What uses this token, so you can tell tokens apart (e.g. “Okta”).",
        widget=forms.TextInput(attrs={"placeholder": "Okta", "autocomplete": "off"}),
    )
    ttl_days = forms.IntegerField(
        label="Expires after (days)", min_value=0, max_value=MAX_TTL_DAYS, initial=365,
        help_text=f"0 = never expires. At most {MAX_TTL_DAYS} days.",
    )
    field_order = ["description", "ttl_days", "nonce"]

    def clean_description(self) -> str:
        try:
            return clean_description(self.cleaned_data["description"])
        except DomainError as exc:  # the service's rule, shown next to the field
            raise forms.ValidationError(exc.message, code=exc.code) from exc


class ScimTokenRotateForm(NonceForm):
    keep_old_hours = forms.IntegerField(
        label="Keep the old token working for (hours)",
        min_value=1, max_value=int(MAX_ROTATION_OVERLAP.total_seconds() // 3600),
        initial=int(DEFAULT_ROTATION_OVERLAP.total_seconds() // 3600),
        help_text="Time to paste the new token into Okta. You can revoke the old token sooner.",
    )
    field_order = ["keep_old_hours", "nonce"]


class GroupRoleMappingForm(forms.Form):
    idp_group_name = forms.CharField(
        label="IdP group name", max_length=255,
        help_text="The group's name exactly as Okta pushes it (compared case-insensitively).",
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)
    # Set by the confirmation page when the name is already mapped to another role.
    replace = forms.BooleanField(required=False, widget=forms.HiddenInput)

"""The API keys page's create form: it validates input, ``api.services.api_key_create`` writes.

Like the SCIM token form it carries a signed one-time nonce: the first submission consumes it
(in the shared cache), so a reloaded or replayed POST creates nothing and shows no key.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django import forms
from django.core import signing
from django.core.cache import cache

from api.services import DEFAULT_EXPIRY_DAYS, MAX_EXPIRY_DAYS
from orgs.models import Organization

NONCE_SALT = "roster.api.key-create-nonce"
NONCE_MAX_AGE = 60 * 60
NONCE_USED_TIMEOUT = NONCE_MAX_AGE + 10 * 60  # outlives the nonce: it can never be fresh again


def issue_nonce() -> str:
    return signing.TimestampSigner(salt=NONCE_SALT).sign(secrets.token_urlsafe(16))


def consume_nonce(nonce: str) -> bool:
    """True the first time a nonce is presented, False ever after, across processes."""
    key = "roster:api-key-nonce:" + hashlib.sha256(nonce.encode()).hexdigest()
    return cache.add(key, 1, timeout=NONCE_USED_TIMEOUT)


class ApiKeyCreateForm(forms.Form):
    description = forms.CharField(
        max_length=200, required=False,
        help_text="What uses this key, so you can tell keys apart (e.g. “deploy pipeline”).",
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "vTextField"}),
    )
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(), required=False,
        empty_label="Every organization I administer",
        help_text="The key can act only here; it never does more than you can in the admin.",
    )
    expires_in_days = forms.IntegerField(
        label="Expires after (days)", min_value=0, max_value=MAX_EXPIRY_DAYS,
        initial=DEFAULT_EXPIRY_DAYS,
        help_text=f"0 = never expires. At most {MAX_EXPIRY_DAYS} days.",
    )
    nonce = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, organizations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        if not self.is_bound:
            self.initial["nonce"] = issue_nonce()

    def clean_nonce(self) -> str:
        nonce = self.cleaned_data["nonce"]
        try:
            signing.TimestampSigner(salt=NONCE_SALT).unsign(nonce, max_age=NONCE_MAX_AGE)
        except signing.BadSignature as exc:
            raise forms.ValidationError(
                "This form has expired. Open the API keys page again and create the key from "
                "the fresh form.", code="expired",
            ) from exc
        return nonce

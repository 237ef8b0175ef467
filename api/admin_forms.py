"""The API keys page's create form: it validates input, ``api.services.api_key_create`` writes.

Like the SCIM token form it carries a one-time nonce (``config.form_nonces``), so a reloaded or
replayed POST creates nothing and shows no key.
"""

from __future__ import annotations

from typing import Any

from django import forms

from api.services import DEFAULT_EXPIRY_DAYS, MAX_EXPIRY_DAYS
from config.form_nonces import FormNonces, NonceForm
from orgs.models import Organization

KEY_FORM_NONCES = FormNonces(
    salt="roster.api.key-create-nonce", cache_prefix="roster:api-key-nonce:",
    expired="This form has expired. Open the API keys page again and create the key from the "
            "fresh form.",
)
issue_nonce, consume_nonce = KEY_FORM_NONCES.issue, KEY_FORM_NONCES.consume


class ApiKeyCreateForm(NonceForm):
    nonces = KEY_FORM_NONCES

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
    field_order = ["description", "organization", "expires_in_days", "nonce"]

    def __init__(self, *args: Any, organizations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations

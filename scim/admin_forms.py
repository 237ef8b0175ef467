"""Forms of the SSO page's Provisioning tab: they validate input, the services write.

The token-create and token-rotate forms carry a one-time nonce (``config.form_nonces``; see
``scim.admin_tokens.scim_token_create``), so a reloaded or replayed POST creates nothing and
shows no token.
"""

from __future__ import annotations

from django import forms

from config.form_nonces import FormNonces, NonceForm
from orgs.exceptions import DomainError
from orgs.models import Role
from scim.services import (
    DEFAULT_ROTATION_OVERLAP,
    DESCRIPTION_MAX_LENGTH,
    MAX_ROTATION_OVERLAP,
    MAX_TTL_DAYS,
)
from scim.services.tokens import clean_description

TOKEN_FORM_NONCES = FormNonces(
    salt="roster.scim.token-create-nonce", cache_prefix="roster:scim-token-nonce:",
    expired="This form has expired. Open Manage SCIM Tokens again and create the token from "
            "the fresh form.",
)
issue_nonce, consume_nonce = TOKEN_FORM_NONCES.issue, TOKEN_FORM_NONCES.consume


class TokenNonceForm(NonceForm):
    nonces = TOKEN_FORM_NONCES


class ScimTokenCreateForm(TokenNonceForm):
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


class ScimTokenRotateForm(TokenNonceForm):
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

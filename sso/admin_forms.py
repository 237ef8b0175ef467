"""The SAML tab's settings form. It only translates input: pasted IdP metadata fills the three
fields; ``sso.services.saml_connection_save`` decides what is valid."""

from __future__ import annotations

from typing import Any

from django import forms

from sso.saml import idp_metadata_parse


class SamlSettingsForm(forms.Form):
    idp_sso_url = forms.CharField(
        label="IdP single sign-on URL", required=False, max_length=1000,
        widget=forms.URLInput(attrs={"class": "vURLField", "placeholder": "https://…"}),
        help_text="Okta: Identity Provider Single Sign-On URL.",
    )
    idp_entity_id = forms.CharField(
        label="IdP issuer", required=False, max_length=500,
        widget=forms.TextInput(attrs={"class": "vTextField"}),
        help_text="Okta: Identity Provider Issuer (e.g. http://www.okta.com/exk…).",
    )
    idp_x509_cert = forms.CharField(
        label="X.509 certificate", required=False,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 70, "class": "vLargeTextField",
                                     "placeholder": "-----BEGIN CERTIFICATE-----"}),
        help_text="Okta: X.509 Certificate (download it and paste its contents).",
    )
    idp_metadata_xml = forms.CharField(
        label="…or IdP metadata XML", required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 70, "class": "vLargeTextField"}),
        help_text="Paste Okta's Identity Provider metadata instead: it fills the three fields.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        xml = (data.get("idp_metadata_xml") or "").strip()
        if xml:
            try:
                data |= idp_metadata_parse(xml)
            except ValueError as exc:
                self.add_error("idp_metadata_xml", str(exc))
        return data

    def settings(self) -> dict[str, str]:
        return {k: self.cleaned_data.get(k) or "" for k in
                ("idp_entity_id", "idp_sso_url", "idp_x509_cert")}

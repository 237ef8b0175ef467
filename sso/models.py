"""SAML connections: one per organization, its IdP's settings straight from Okta/Entra."""

from __future__ import annotations

from django.db import models

from orgs.models import Organization


class SamlProvider(models.TextChoices):
    OKTA = "okta", "Okta"
    ENTRA = "entra", "Microsoft Entra ID"
    GENERIC = "generic", "Generic SAML 2.0"


class SamlConnection(models.Model):
    """The IdP side of an organization's SAML SSO. Our SP entity id and ACS URL are derived
    from BASE_URL and the org slug, so they are not stored."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="saml_connection"
    )
    provider = models.CharField(max_length=20, choices=SamlProvider.choices,
                                default=SamlProvider.OKTA)
    idp_entity_id = models.CharField("IdP issuer (entity id)", max_length=500, blank=True)
    idp_sso_url = models.URLField("IdP single sign-on URL", max_length=1000, blank=True)
    idp_x509_cert = models.TextField("IdP X.509 certificate", blank=True)
    is_active = models.BooleanField(default=False)
    configured_at = models.DateTimeField(
        null=True, blank=True, help_text="When the IdP settings were last saved."
    )
    last_login_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "SAML connection"

    def __str__(self) -> str:
        return f"SAML for {self.organization}"

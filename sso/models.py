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


class SamlPendingRequest(models.Model):
    """An AuthnRequest we sent and have not seen answered yet (SP-initiated login).

    Okta's POST to the ACS is cross-site, so the session cookie does not come back with it;
    the RelayState we sent is a one-time token that finds this row instead. Only its SHA-256 is
    stored. Used at most once: the ACS deletes the row, and the DELETE's row count decides."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, db_index=False,
                                     related_name="+")
    request_id = models.CharField(max_length=100)
    relay_state_hash = models.CharField(max_length=64, unique=True)
    next_url = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "pending SAML request"
        # The per-organization cap keeps the newest rows by id.
        indexes = [models.Index(fields=["organization", "id"], name="sso_pending_org_id")]

    def __str__(self) -> str:
        return f"AuthnRequest {self.request_id}"


class SamlConsumedAssertion(models.Model):
    """An assertion id this organization has accepted, kept until the assertion could no longer
    be accepted anyway. The unique constraint is the replay check: of two workers inserting the
    same id, exactly one succeeds."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, db_index=False,
                                     related_name="+")
    assertion_id = models.CharField(max_length=255)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "consumed SAML assertion"
        constraints = [
            models.UniqueConstraint(fields=["organization", "assertion_id"],
                                    name="sso_assertion_once_per_org"),
        ]

    def __str__(self) -> str:
        return f"Assertion {self.assertion_id}"

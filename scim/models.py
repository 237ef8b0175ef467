"""SCIM bearer tokens. Only a SHA-256 hash is stored; the token is shown once at creation."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from orgs.lookup_keys import LookupKeysModel, LookupKeysQuerySet
from orgs.models import Organization
from orgs.text import fold


class ScimTokenQuerySet(models.QuerySet):
    def usable(self, now: datetime | None = None) -> ScimTokenQuerySet:
        """Tokens that authenticate now: not revoked, not expired (``ScimToken.status``)."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ScimToken(models.Model):
    """A bearer token of one organization. Whether it is usable is decided here, for a row
    (``status``) and for a query (``ScimToken.objects.usable()``), and nowhere else."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="scim_tokens"
    )
    description = models.CharField(max_length=200, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=16, editable=False)
    ttl_days = models.PositiveIntegerField(default=365, help_text="0 = never expires.")
    expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expiry_notified_at = models.DateTimeField(null=True, blank=True)

    objects = ScimTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "SCIM token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.description or 'no description'})"

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


class ScimUserProfile(LookupKeysModel):
    """What the IdP says about a member that the domain model has no column for.

    The SCIM User schema we advertise includes ``displayName``, ``name.formatted``, the IdP's
    ``emails`` list, the other RFC 7643 attributes Entra ID maps by default (``title``,
    ``preferredLanguage``, ``phoneNumbers``, ``addresses`` …) and the Enterprise User extension;
    a SCIM client must read back what it wrote, so they are kept here, one row per
    SCIM-managed membership. The account's own email
    and names stay on ``orgs.User``. Written only by ``scim.services.scim_profile_update``.
    ``display_name_key`` is the folded displayName (``orgs.lookup_keys``) that
    ``displayName eq`` compares, through its index.
    """

    lookup_keys = {"display_name_key": (("display_name",), lambda p: fold(p.display_name))}

    membership = models.OneToOneField(
        "orgs.Membership", on_delete=models.CASCADE, primary_key=True,
        related_name="scim_profile",
    )
    display_name = models.CharField(max_length=255, blank=True)
    # The rest of the advertised attributes, keyed by their SCIM names: "name.formatted",
    # "emails" (list of {value, type, primary}), scim.attributes.PROFILE_ATTRIBUTES ("title",
    # "phoneNumbers", "addresses" …) and the enterprise extension's dict.
    attributes = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    display_name_key = models.TextField(editable=False, default="")

    objects = LookupKeysQuerySet.as_manager()

    class Meta:
        verbose_name = "SCIM user profile"
        indexes = [models.Index(fields=["display_name_key"], name="scim_profile_display_name")]

    def __str__(self) -> str:
        return f"SCIM profile of {self.membership_id}"


class ScimUserEmail(models.Model):
    """One address of a profile's ``emails`` list, folded: the index that makes
    ``emails.value eq`` (and Entra's ``emails[type eq "work"].value eq``) a lookup.

    A member whose profile keeps no list is known by its own email (``Membership.email_key``);
    a member whose profile keeps one has a row here for each distinct address in it. Together
    they name every member that *could* match an ``eq``; the filter then decides on those few
    exactly as before (``scim.filters.emails``). Written only by the profile service, with the
    list.
    """

    # Indexed by the unique constraint below, which starts with it.
    membership = models.ForeignKey(
        "orgs.Membership", on_delete=models.CASCADE, related_name="scim_emails", db_index=False
    )
    value_key = models.TextField()

    class Meta:
        verbose_name = "SCIM user email"
        constraints = [
            models.UniqueConstraint(fields=["membership", "value_key"],
                                    name="scim_useremail_unique"),
        ]
        indexes = [models.Index(fields=["value_key"], name="scim_useremail_value")]

    def __str__(self) -> str:
        return f"{self.value_key} of {self.membership_id}"

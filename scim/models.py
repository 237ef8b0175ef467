"""SCIM bearer tokens. Only a SHA-256 hash is stored; the token is shown once at creation."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from orgs.lookup_keys import LookupKeysModel, LookupKeysQuerySet
from orgs.models import Organization
from orgs.secrets import RevocableSecret
from orgs.text import fold


class ScimTokenQuerySet(models.QuerySet):
    def usable(self, now: datetime | None = None) -> ScimTokenQuerySet:
        """Tokens that authenticate now: not revoked, not expired (``ScimToken.status``)."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ScimToken(RevocableSecret, models.Model):
    """A bearer token of one organization. Whether it is usable is decided here, for a row
    (``status``, from ``orgs.secrets.RevocableSecret``, as for API keys) and for a query
    (``ScimToken.objects.usable()``)."""

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
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", help_text="Empty when an operator revoked it from the shell.",
    )
    # Set when the token was rotated: the new token; this one then works until expires_at.
    replaced_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
    )
    expiry_notified_at = models.DateTimeField(null=True, blank=True)

    objects = ScimTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "SCIM token"
        # A refused token's request is attributed by its prefix (scim.request_log.attribute):
        # through an index, so a flood of made-up tokens never scans every organization's.
        indexes = [models.Index(fields=["prefix"], name="scim_token_prefix")]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.description or 'no description'})"



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


class ScimRequestResource(models.TextChoices):
    USERS = "Users", "Users"
    GROUPS = "Groups", "Groups"
    OTHER = "other", "Other"


class ScimRequest(models.Model):
    """One request to /scim/v2 and its answer, failures included (``scim.request_log``).

    The organization is the token's; for a token that did not authenticate, the organization
    whose token has its prefix (when exactly one has), else NULL: such rows are for operators
    only. Bodies are masked (passwords, tokens, credentials) and cut at
    ``scim.request_log.BODY_LIMIT`` characters; the token itself is never stored, only its
    public prefix. ``request_id`` is also on the audit events the request caused. Written
    only by ``scim.services.scim_request_record``; pruned after
    ``SCIM_REQUEST_LOG_RETENTION_DAYS``.
    """

    # No index of its own: ``scim_request_org_time`` leads with it (every request inserts a
    # row, and each index is one more write).
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now)  # when the request arrived
    request_id = models.CharField(max_length=64, blank=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=1000)
    query = models.CharField(max_length=2000, blank=True)
    resource = models.CharField(max_length=10, choices=ScimRequestResource.choices)
    status = models.PositiveSmallIntegerField()
    duration_ms = models.PositiveIntegerField()
    token_prefix = models.CharField(max_length=16, blank=True)
    # What the Authorization header looked like, with every credential masked, e.g.
    # "Bearer Bearer rst_scim_AbC123…": enough to see a pasting mistake, never the secret.
    authorization = models.CharField(max_length=200, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    error_type = models.CharField(max_length=40, blank=True)  # the SCIM error's scimType
    error_detail = models.CharField(max_length=1000, blank=True)
    request_body = models.TextField(blank=True)
    request_truncated = models.BooleanField(default=False)
    response_body = models.TextField(blank=True)
    response_truncated = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "SCIM request"
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="scim_request_org_time"),
            models.Index(fields=["created_at"], name="scim_request_time"),  # pruning
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status}"
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

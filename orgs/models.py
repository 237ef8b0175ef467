"""The domain: users, organizations, memberships, groups and the audit log.

Uniqueness rules are database constraints, so they hold on SQLite and PostgreSQL alike whatever
writes the rows. What an IdP looks members and groups up by is stored folded as well
(``orgs.lookup_keys``): those lookups and the uniqueness constraints are plain indexed
equalities. Models hold no business rules: ``orgs.services`` is the only writer.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.utils import timezone

from orgs.lookup_keys import LookupKeysModel, LookupKeysQuerySet
from orgs.plans import Plan, plan_has_feature
from orgs.text import fold


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"
    NO_ACCESS = "no-access", "No access"


class MembershipStatus(models.TextChoices):
    INVITED = "invited", "Invited"
    ACCEPTED = "accepted", "Accepted"


class MembershipSource(models.TextChoices):
    MANUAL = "manual", "Manual"
    SCIM = "scim", "SCIM"
    SSO = "sso", "SSO"


def account_email_is(email: str) -> models.Q:
    """Accounts whose email is ``email``, ignoring case, spelled as the unique constraint is
    (``LOWER`` on both sides), so its index serves the lookup; ``email__iexact`` (``UPPER``)
    would read every account."""
    return models.Q(Exact(Lower("email"), Lower(models.Value(email))))
class GroupSource(models.TextChoices):
    MANUAL = "manual", "Manual"
    SCIM = "scim", "SCIM"


class UserManager(BaseUserManager["User"]):
    """Users log in with their email, matched case-insensitively."""

    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(account_email_is(username or ""))

    def _create(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).strip(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Global across organizations; what they may do is on their memberships."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField("email address", max_length=254)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(
        default=False, help_text="May log in to the admin (operators and org admins)."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # First-login account setup: the key pair is made in the member's browser; we only ever
    # hold the public key and the private key wrapped with a passphrase-derived key.
    setup_completed_at = models.DateTimeField(null=True, blank=True)
    public_key = models.TextField(blank=True)
    encrypted_private_key = models.TextField(blank=True)
    key_derivation = models.JSONField(default=dict, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="orgs_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def get_short_name(self) -> str:
        return self.first_name or self.email


# 100 requests a second per token: four times what Entra's gallery asks for (25/s per tenant),
# and more than Okta's 75 concurrent requests make at SCIM latencies. A 429 can quarantine an
# Entra provisioning job, so the default is meant never to be reached by an IdP.
DEFAULT_SCIM_RATE_LIMIT = 6000


class Organization(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    plan = models.CharField(max_length=20, choices=Plan.choices, default=Plan.FREE)
    scim_enabled = models.BooleanField("SCIM provisioning enabled", default=False)
    sso_enforced = models.BooleanField("SAML SSO enforced", default=False)
    sso_jit_provisioning = models.BooleanField(
        "just-in-time provisioning at SSO login",
        default=False,
        help_text="Create a membership for an unknown email at its first SAML login.",
    )
    default_role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    # Requests per minute each SCIM token of this organization may make (scim.throttling);
    # changed only through scim.services.organization_set_scim_rate_limit.
    scim_rate_limit_per_minute = models.PositiveIntegerField(
        "SCIM rate limit (requests per minute per token)", default=DEFAULT_SCIM_RATE_LIMIT,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def has_feature(self, feature: str) -> bool:
        return plan_has_feature(self.plan, feature)


class Membership(LookupKeysModel):
    """A person in an organization, as that organization knows them. Its id is the SCIM User id.

    The email and names are this organization's (its IdP's or its admin's): they never touch
    the global account, so one organization's pushes can't change what another shows. ``user``
    is the account the person signs in with. A member provisioned by an IdP is an invitation
    (``user`` empty) until their first verified sign-in links it (``sso.services``).

    The lookup keys: ``user_name_key`` is the userName as filters compare it (the SCIM
    userName, or the email of a member added by hand), ``email_key`` the email and
    ``external_id_key`` the externalId (NULL when there is none, so the unique constraint
    leaves those rows alone), each ``orgs.text.fold``-ed.
    """

    lookup_keys = {
        "user_name_key": (("scim_user_name", "email"),
                          lambda m: fold(m.scim_user_name or m.email)),
        "email_key": (("email",), lambda m: fold(m.email)),
        "external_id_key": (("external_id",), lambda m: fold(m.external_id) or None),
    }

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", null=True, blank=True,
        help_text="The account linked at the member's first verified sign-in.",
    )
    linked_at = models.DateTimeField(null=True, blank=True)
    email = models.EmailField("email address", max_length=254)
    given_name = models.CharField("first name", max_length=150, blank=True)
    family_name = models.CharField("last name", max_length=150, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(
        max_length=20, choices=MembershipStatus.choices, default=MembershipStatus.INVITED
    )
    is_active = models.BooleanField(default=True)
    scim_user_name = models.CharField("SCIM userName", max_length=254, blank=True)
    external_id = models.CharField(max_length=255, blank=True)
    source = models.CharField(
        max_length=20, choices=MembershipSource.choices, default=MembershipSource.MANUAL
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Lookup keys (see the class docstring); text, as folding may lengthen a value.
    user_name_key = models.TextField(editable=False, default="")
    email_key = models.TextField(editable=False, default="")
    external_id_key = models.TextField(editable=False, null=True)

    objects = LookupKeysQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user"], name="orgs_membership_org_user_unique"
            ),
            # userName and externalId are unique per organization, ignoring case.
            models.UniqueConstraint(
                fields=["organization", "user_name_key"],
                condition=~models.Q(scim_user_name=""),
                name="orgs_membership_org_user_name_unique",
            ),
            models.UniqueConstraint(
                fields=["organization", "external_id_key"],
                name="orgs_membership_org_external_id_unique",
            ),
        ]
        indexes = [
            # Lists page in (created_at, id) order: by OFFSET on an index-only scan, or
            # from a cursor.
            models.Index(fields=["organization", "created_at", "id"],
                         name="orgs_members_org_created_id"),
            models.Index(fields=["organization", "updated_at"]),
            # userName eq (and the uniqueness check: same index), emails eq.
            models.Index(fields=["organization", "user_name_key"],
                         name="orgs_members_org_user_name"),
            models.Index(fields=["organization", "email_key"], name="orgs_members_org_email"),
        ]

    def __str__(self) -> str:
        return f"{self.email} in {self.organization}"

    def get_full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


class OrganizationMemberCount(models.Model):
    """How many members an organization has, kept exact by the database itself: triggers
    (``orgs/migrations/0007_organization_member_count.py``) add the row when the organization
    is inserted, add and subtract one for each member inserted and deleted, and drop the row
    with the organization, whatever writes the rows (services, bulk_create, cascades, raw SQL).
    An unfiltered SCIM Users list reads its ``totalResults`` here in one primary-key lookup
    instead of counting every member (``orgs.selectors.membership_list_state``). Nothing in Python
    writes it.

    Declared after ``Membership`` so ``dumpdata`` writes the members first: ``loaddata`` then
    overwrites the count their inserts made with the same figure, not the other way round.
    """

    organization = models.OneToOneField(
        Organization, on_delete=models.DO_NOTHING,  # the row goes with it, by trigger
        primary_key=True, related_name="member_count",
    )
    members = models.IntegerField(default=0)
    # Goes up whenever the positions of the list order (created_at, id) may shift: a member
    # deleted or moved out, or inserted anywhere but after every other member (migrations
    # 0008, 0009). A member created now is appended and moves no one: the version stays, and
    # ``orgs.list_positions`` keeps using, and adding to, what it remembers under it.
    list_version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.members} members in {self.organization_id}"


class Group(LookupKeysModel):
    """A group of members in one organization. Its id is the SCIM Group id. ``display_name_key``
    is the folded display name (``orgs.lookup_keys``): unique per organization, and what
    ``displayName eq`` compares."""

    lookup_keys = {"display_name_key": (("display_name",), lambda g: fold(g.display_name))}

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="groups")
    display_name = models.CharField(max_length=255)
    external_id = models.CharField(max_length=255, blank=True)
    source = models.CharField(max_length=20, choices=GroupSource.choices,
                              default=GroupSource.MANUAL)
    members = models.ManyToManyField(Membership, through="GroupMember", related_name="groups")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    display_name_key = models.TextField(editable=False, default="")

    objects = LookupKeysQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "display_name_key"], name="orgs_group_org_name_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "created_at", "id"],
                         name="orgs_groups_org_created_id"),
            models.Index(fields=["organization", "updated_at"]),
            models.Index(fields=["organization", "external_id"],
                         name="orgs_groups_org_external_id"),
        ]

    def __str__(self) -> str:
        return self.display_name


class GroupMember(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="group_members")
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="group_members"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "membership"], name="orgs_groupmember_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} in {self.group_id}"


class GroupRoleMapping(models.Model):
    """An IdP group name → org role, applied when a member is first provisioned via that group."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="group_role_mappings"
    )
    idp_group_name = models.CharField("IdP group name", max_length=255)
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["idp_group_name"]
        constraints = [
            models.UniqueConstraint(
                "organization",
                Lower("idp_group_name"),
                name="orgs_grouprolemapping_org_name_ci_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.idp_group_name} → {self.role}"


class ActorKind(models.TextChoices):
    USER = "user", "User"
    SCIM_TOKEN = "scim-token", "SCIM token"
    OPERATOR = "operator", "Operator"
    SYSTEM = "system", "System"


class AuditEvent(models.Model):
    """One thing that happened. Never holds a secret."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    actor_kind = models.CharField(max_length=20, choices=ActorKind.choices)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=255, blank=True)
    action = models.CharField(max_length=100, db_index=True)
    target_kind = models.CharField(max_length=50, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_label}"

"""API key lifecycle: create (the plaintext is returned once), revoke, authenticate. The only
writer of ``api.models``.

A key is 256 random bits behind a recognizable prefix, stored as its SHA-256 (like a SCIM token:
with that much entropy a fast hash is right and lookup is one indexed query); the deciding
comparison is constant-time. Creating and revoking a key are audited in every organization the
key can act on, so each organization's log (and SIEM) sees who holds a key to it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from api.models import ApiKey
from orgs.audit import Actor, audit_record
from orgs.exceptions import InvalidInput, PreconditionFailed
from orgs.models import Membership, MembershipStatus, Organization, Role
from orgs.text import clean_for_column

KEY_PREFIX = "rst_api_"
PREFIX_LENGTH = len(KEY_PREFIX) + 6  # what lists show: "rst_api_" + 6 characters
MAX_EXPIRY_DAYS = 3650
DEFAULT_EXPIRY_DAYS = 90
LAST_USED_GRANULARITY = timedelta(seconds=60)


@dataclass(frozen=True)
class CreatedApiKey:
    key: ApiKey
    plaintext: str  # shown once, never stored


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def _audit_organizations(key: ApiKey) -> list[Organization | None]:
    """The organizations a key can act on now, for its audit events: its own organization, or
    each one its user administers; ``[None]`` (no organization) for an operator's key."""
    if key.organization_id is not None:
        return [key.organization]
    if key.user.is_superuser:
        return [None]
    ids = Membership.objects.filter(
        user=key.user, role=Role.ADMIN, is_active=True, status=MembershipStatus.ACCEPTED
    ).values_list("organization_id", flat=True)
    return list(Organization.objects.filter(pk__in=ids).order_by("name"))


def _audit(key: ApiKey, *, actor: Actor, action: str, data: dict[str, Any]) -> None:
    for organization in _audit_organizations(key):
        audit_record(organization=organization, actor=actor, action=action, target=key, data=data)


@transaction.atomic
def api_key_create(
    *,
    user: Any,
    actor: Actor,
    allowed_org_ids: Collection[Any] | None,
    session_scoped: bool = False,
    organization: Organization | None = None,
    description: str = "",
    expires_in_days: int = DEFAULT_EXPIRY_DAYS,
) -> CreatedApiKey:
    """Create a personal key for ``user``.

    ``allowed_org_ids`` are the organizations the creating session may administer
    (``orgs.permissions.administered_org_ids``; None: all, an operator). A key never speaks for
    more than that session: ``organization`` must be one of them, and a session made by SAML
    single sign-on (``session_scoped``), which speaks only for the organizations whose IdP
    signed the person in, must name the organization.
    """
    if allowed_org_ids is not None and not allowed_org_ids:
        raise PreconditionFailed(
            "You administer no organization, so an API key would have nothing to act on."
        )
    if organization is not None and allowed_org_ids is not None and (
        organization.pk not in allowed_org_ids
    ):
        raise InvalidInput("You can only create a key for an organization you administer.")
    if organization is None and session_scoped:
        raise InvalidInput(
            "Choose the organization: a session opened through single sign-on creates keys "
            "for one organization at a time."
        )
    if isinstance(expires_in_days, bool) or not isinstance(expires_in_days, int) or not (
        0 <= expires_in_days <= MAX_EXPIRY_DAYS
    ):
        raise InvalidInput(
            f"The expiry must be between 0 (never expires) and {MAX_EXPIRY_DAYS} days."
        )
    description = clean_for_column((description or "").strip(), ApiKey, "description",
                                   field="The description")
    plaintext = KEY_PREFIX + secrets.token_urlsafe(32)  # 32 bytes = 256 bits
    now = timezone.now()
    key = ApiKey.objects.create(
        user=user,
        organization=organization,
        description=description,
        key_hash=hash_key(plaintext),
        prefix=plaintext[:PREFIX_LENGTH],
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    _audit(key, actor=actor, action="api.key.created", data={
        "prefix": key.prefix, "description": description, "owner": user.email,
        "expires_at": key.expires_at.isoformat() if key.expires_at else None,
        "scope": "organization" if organization is not None else "administered organizations",
    })
    return CreatedApiKey(key=key, plaintext=plaintext)


@transaction.atomic
def api_key_revoke(*, key: ApiKey, actor: Actor) -> ApiKey:
    """Revoke a key: every call with it answers 401 from now on. Revoking twice is a no-op."""
    # of=self: the organization is an outer join (a key may have none), and PostgreSQL cannot
    # lock the nullable side of one.
    k = (ApiKey.objects.select_for_update(of=("self",)).select_related("user", "organization")
         .get(pk=key.pk))
    if k.revoked_at is not None:
        return k
    k.revoked_at = timezone.now()
    k.save(update_fields=["revoked_at"])
    _audit(k, actor=actor, action="api.key.revoked",
           data={"prefix": k.prefix, "owner": k.user.email})
    return k


def api_key_authenticate(plaintext: str) -> ApiKey | None:
    """The usable key for a presented bearer value, or None (unknown, revoked, expired, or its
    user deactivated). ``last_used_at`` is written at most once a minute, by a filtered UPDATE."""
    if not plaintext or len(plaintext) > 200 or not plaintext.startswith(KEY_PREFIX):
        return None
    digest = hash_key(plaintext)
    key = ApiKey.objects.select_related("user", "organization").filter(key_hash=digest).first()
    if key is None or not hmac.compare_digest(key.key_hash, digest):
        return None
    if not key.is_usable or not key.user.is_active:
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_GRANULARITY:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key

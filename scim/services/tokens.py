"""SCIM token lifecycle: create (the plaintext is returned once), rotate, revoke, authenticate.

A token is 256 random bits behind a recognizable prefix. Only its SHA-256 is stored: with that
much entropy a fast hash is right, and lookup is one indexed equality query. The comparison that
decides is a constant-time one on the hash.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from config.prepared_queries import prepared
from orgs.audit import Actor, audit_record
from orgs.exceptions import InvalidInput, PreconditionFailed
from orgs.models import Organization
from orgs.text import clean_text
from scim.models import ScimToken
from sso.models import SamlConnection

logger = logging.getLogger(__name__)


TOKEN_PREFIX = "rst_scim_"
PREFIX_LENGTH = len(TOKEN_PREFIX) + 6  # what lists show: "rst_scim_" + 6 characters
MAX_TTL_DAYS = 3650
DESCRIPTION_MAX_LENGTH = 100
# How long a rotated token keeps working next to its replacement, unless revoked first.
DEFAULT_ROTATION_OVERLAP = timedelta(hours=24)
MIN_ROTATION_OVERLAP = timedelta(hours=1)
MAX_ROTATION_OVERLAP = timedelta(days=30)


@dataclass(frozen=True)
class CreatedToken:
    token: ScimToken
    plaintext: str  # shown once, never stored


def hash_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def clean_description(description: str) -> str:
    """A token's description: required (it is how admins tell tokens apart, and how the audit
    log names the token's actor), held to ``orgs.text``'s rule, at most
    ``DESCRIPTION_MAX_LENGTH`` characters. Surrounding spaces are dropped."""
    value = (description or "").strip()
    if not value:
        raise InvalidInput(
            "Give the token a description (e.g. “Okta”), so that you can tell tokens apart."
        )
    return clean_text(value, field="The description", max_length=DESCRIPTION_MAX_LENGTH)


def _check_ttl(ttl_days: object) -> int:
    if isinstance(ttl_days, bool) or not isinstance(ttl_days, int):
        raise InvalidInput("The TTL must be a whole number of days.")
    if ttl_days < 0 or ttl_days > MAX_TTL_DAYS:
        raise InvalidInput(f"The TTL must be between 0 (never expires) and {MAX_TTL_DAYS} days.")
    return ttl_days


def _new_token(
    *, organization: Organization, description: str, ttl_days: int, created_by: object | None,
    now: datetime,
) -> CreatedToken:
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)  # 32 bytes = 256 bits
    token = ScimToken.objects.create(
        organization=organization,
        description=description,
        token_hash=hash_token(plaintext),
        prefix=plaintext[:PREFIX_LENGTH],
        ttl_days=ttl_days,
        expires_at=now + timedelta(days=ttl_days) if ttl_days else None,
        created_by=created_by,
        created_at=now,
    )
    return CreatedToken(token=token, plaintext=plaintext)


@transaction.atomic
def scim_token_create(
    *,
    organization: Organization,
    actor: Actor,
    description: str = "",
    ttl_days: int = 365,
    created_by: object | None = None,
) -> CreatedToken:
    ttl_days = _check_ttl(ttl_days)
    description = clean_description(description)
    created = _new_token(organization=organization, description=description, ttl_days=ttl_days,
                         created_by=created_by, now=timezone.now())
    audit_record(
        organization=organization, actor=actor, action="scim.token.created",
        target=created.token,
        data={"prefix": created.token.prefix, "description": description, "ttl_days": ttl_days},
    )
    return created


@transaction.atomic
def scim_token_rotate(
    *,
    token: ScimToken,
    actor: Actor,
    created_by: object | None = None,
    keep_old_for: timedelta = DEFAULT_ROTATION_OVERLAP,
) -> CreatedToken:
    """Replace a token without a gap: a new token (shown once, same description and
    lifetime) works at once, and the old one keeps working for ``keep_old_for`` (at most
    ``MAX_ROTATION_OVERLAP``; never longer than it would have anyway) or until it is revoked,
    so the IdP can be switched over meanwhile. Only an active token that was not rotated
    before can be rotated."""
    if not MIN_ROTATION_OVERLAP <= keep_old_for <= MAX_ROTATION_OVERLAP:
        raise InvalidInput(
            "The old token can keep working between 1 hour and "
            f"{MAX_ROTATION_OVERLAP.days} days after the rotation."
        )
    old = ScimToken.objects.select_for_update().select_related("organization").get(pk=token.pk)
    if not old.is_usable:
        raise PreconditionFailed(f"Token {old.prefix}… is {old.status}: only an active token "
                                 "can be rotated. Create a new token instead.")
    if old.replaced_by_id is not None:
        raise PreconditionFailed(f"Token {old.prefix}… was already rotated: rotate the token "
                                 "that replaced it, or revoke this one.")
    now = timezone.now()
    created = _new_token(organization=old.organization, description=old.description,
                         ttl_days=old.ttl_days, created_by=created_by, now=now)
    until = now + keep_old_for
    if old.expires_at is not None and old.expires_at < until:
        until = old.expires_at
    old.expires_at = until
    old.replaced_by = created.token
    old.save(update_fields=["expires_at", "replaced_by"])
    audit_record(
        organization=old.organization, actor=actor, action="scim.token.created",
        target=created.token,
        data={"prefix": created.token.prefix, "description": old.description,
              "ttl_days": old.ttl_days, "rotated_from": old.prefix},
    )
    audit_record(
        organization=old.organization, actor=actor, action="scim.token.rotated", target=old,
        data={"prefix": old.prefix, "new_prefix": created.token.prefix,
              "old_works_until": until.isoformat()},
    )
    return created


@transaction.atomic
def scim_token_revoke(
    *, token: ScimToken, actor: Actor, revoked_by: object | None = None
) -> ScimToken:
    """Stop a token at once. ``revoked_by`` is the admin who did it (shown in the token list);
    empty for an operator's command."""
    t = ScimToken.objects.select_for_update().select_related("organization").get(pk=token.pk)
    if t.revoked_at is not None:
        return t
    t.revoked_at = timezone.now()
    t.revoked_by = revoked_by
    t.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        organization=t.organization, actor=actor, action="scim.token.revoked", target=t,
        data={"prefix": t.prefix},
    )
    return t


def _token_rows(digest: str) -> QuerySet[ScimToken]:
    """The token with a given hash, with its organization and, as far as SCIM needs it
    (``is_active``: scim.auth), the organization's SAML connection; its certificate and the
    rest stay deferred."""
    deferred = [f"organization__saml_connection__{f.name}"
                for f in SamlConnection._meta.concrete_fields
                if f.name not in ("id", "organization", "is_active")]
    return (ScimToken.objects.select_related("organization", "organization__saml_connection")
            .defer(*deferred).filter(token_hash=digest).order_by()[:1])


def _token_with_organization(digest: str) -> ScimToken | None:
    """The query every SCIM request makes before anything else, prepared
    (``config.prepared_queries``): compiling it was most of what it cost."""
    found = prepared(("scim_token_authenticate",), _token_rows, [digest], [str])
    return found[0] if found else None


def scim_token_authenticate(plaintext: str) -> ScimToken | None:
    """The usable token for a presented bearer value, or None (unknown, revoked, expired).

    One indexed query, prepared (``_token_with_organization``). Updates ``last_used_at`` at
    most once a minute, with a filtered UPDATE rather than a save, so a burst of Okta calls
    does not write on every request.
    """
    if not plaintext or len(plaintext) > 200:
        return None
    digest = hash_token(plaintext)
    token = _token_with_organization(digest)
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    if not token.is_usable:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(seconds=60):
        ScimToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token

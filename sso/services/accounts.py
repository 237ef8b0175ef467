"""First-login account setup: the member's key pair, vouched for by their home organization."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from orgs import services as org_services
from orgs.audit import Actor, audit_record
from orgs.exceptions import PreconditionFailed
from orgs.models import (
    Membership,
    MembershipStatus,
    Organization,
    User,
)
from sso import keys
from sso.selectors import account_setup_blocker

logger = logging.getLogger(__name__)


def setup_elsewhere_message(home: Organization) -> str:
    return (
        f"Your account belongs first to {home.name}: sign in through {home.name}'s single "
        f"sign-on to create your key. Only that organization's identity provider may vouch "
        f"for your first key setup."
    )


@transaction.atomic
def account_setup_complete(
    *,
    user: User,
    public_key: str,
    encrypted_private_key: str,
    key_derivation: str | dict[str, Any],
    actor: Actor,
    organization_ids: Iterable[Any] | None = None,
) -> User:
    """Store the member's public key and passphrase-wrapped private key, then accept their
    invited memberships (each with its ``membership.accepted`` event).

    ``organization_ids`` limits the acceptance to those organizations: a session made by SAML
    accepts only the invitations of the organizations whose IdP signed the person in; the
    others are accepted at their own first SAML login (``saml_login_complete``). Such a session
    may set up the keys only if it includes the person's home organization
    (``account_setup_blocker``)."""
    clean_public = keys.public_key_check(public_key)
    clean_wrapped = keys.wrapped_private_key_check(encrypted_private_key)
    clean_kdf = keys.key_derivation_check(key_derivation)
    u = User.objects.select_for_update().get(pk=user.pk)
    if u.setup_completed_at is not None:
        raise PreconditionFailed("Your account is already set up.")
    scope = frozenset(str(i) for i in organization_ids) if organization_ids is not None else None
    home = account_setup_blocker(user=u, scope=scope)
    if home is not None:
        raise PreconditionFailed(setup_elsewhere_message(home))
    u.public_key = clean_public
    u.encrypted_private_key = clean_wrapped
    u.key_derivation = clean_kdf
    u.setup_completed_at = timezone.now()
    u.save(update_fields=[
        "public_key", "encrypted_private_key", "key_derivation", "setup_completed_at",
    ])
    audit_record(
        organization=None, actor=actor, action="account.setup_completed", target=u,
        data={"key_algorithm": clean_kdf["key_algorithm"], "kdf": clean_kdf["name"],
              "iterations": clean_kdf["iterations"]},
    )
    invited = Membership.objects.filter(
        user=u, status=MembershipStatus.INVITED, is_active=True
    ).select_related("organization", "user")
    if organization_ids is not None:
        invited = invited.filter(organization_id__in=list(organization_ids))
    for membership in invited:
        org_services.membership_accept(membership=membership, actor=actor)
    user.setup_completed_at = u.setup_completed_at
    return u

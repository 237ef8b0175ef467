"""The only writers of the ``scim`` app, one module per noun: SCIM tokens (``tokens``) and
their expiry notices (``token_notices``), the SCIM toggle (``toggle``), the SCIM profile
(``profiles``) and what an IdP's push does to members and groups (``provisioning``).
Callers import from here: ``from scim import services``.
"""

from scim.services.profiles import scim_profile_update
from scim.services.toggle import organization_scim_enable_blocker, organization_set_scim_enabled
from scim.services.token_notices import ExpiryNotice, scim_token_notify_expiring
from scim.services.tokens import (
    MAX_TTL_DAYS,
    PREFIX_LENGTH,
    TOKEN_PREFIX,
    CreatedToken,
    hash_token,
    scim_token_authenticate,
    scim_token_create,
    scim_token_revoke,
)

__all__ = [
    "MAX_TTL_DAYS",
    "PREFIX_LENGTH",
    "TOKEN_PREFIX",
    "CreatedToken",
    "ExpiryNotice",
    "hash_token",
    "organization_scim_enable_blocker",
    "organization_set_scim_enabled",
    "scim_profile_update",
    "scim_token_authenticate",
    "scim_token_create",
    "scim_token_notify_expiring",
    "scim_token_revoke",
]

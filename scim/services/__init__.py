"""The only writers of the ``scim`` app, one module per noun: SCIM tokens (``tokens``: create,
rotate, revoke) and their expiry notices (``token_notices``), the SCIM toggle (``toggle``) and
rate limit (``rate_limits``), the SCIM profile (``profiles``), the request log
(``request_log``) and what an IdP's push does to members and groups (``provisioning``).
Callers import from here: ``from scim import services``.
"""

from scim.services.profiles import scim_profile_update
from scim.services.rate_limits import (
    MAX_RATE_LIMIT,
    MIN_RATE_LIMIT,
    organization_set_scim_rate_limit,
)
from scim.services.request_log import (
    RequestRecord,
    scim_request_log_prune,
    scim_request_record,
)
from scim.services.toggle import organization_scim_enable_blocker, organization_set_scim_enabled
from scim.services.token_notices import ExpiryNotice, scim_token_notify_expiring
from scim.services.tokens import (
    DEFAULT_ROTATION_OVERLAP,
    DESCRIPTION_MAX_LENGTH,
    MAX_ROTATION_OVERLAP,
    MAX_TTL_DAYS,
    PREFIX_LENGTH,
    TOKEN_PREFIX,
    CreatedToken,
    hash_token,
    scim_token_authenticate,
    scim_token_create,
    scim_token_revoke,
    scim_token_rotate,
)

__all__ = [
    "DEFAULT_ROTATION_OVERLAP",
    "DESCRIPTION_MAX_LENGTH",
    "MAX_ROTATION_OVERLAP",
    "MAX_RATE_LIMIT",
    "MAX_TTL_DAYS",
    "MIN_RATE_LIMIT",
    "PREFIX_LENGTH",
    "TOKEN_PREFIX",
    "CreatedToken",
    "ExpiryNotice",
    "RequestRecord",
    "hash_token",
    "organization_scim_enable_blocker",
    "organization_set_scim_enabled",
    "organization_set_scim_rate_limit",
    "scim_profile_update",
    "scim_request_log_prune",
    "scim_request_record",
    "scim_token_authenticate",
    "scim_token_create",
    "scim_token_notify_expiring",
    "scim_token_revoke",
    "scim_token_rotate",
]

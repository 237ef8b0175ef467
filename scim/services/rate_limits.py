"""An organization's SCIM rate limit: how many requests a minute each of its tokens may make.

The default (``orgs.models.DEFAULT_SCIM_RATE_LIMIT``) sits far above what an IdP sends; the
bounds keep an admin from locking their own IdP out (a 429 can quarantine an Entra job) or
from switching the back-pressure off.
"""

from __future__ import annotations

from django.db import transaction

from orgs.audit import Actor, audit_record
from orgs.exceptions import InvalidInput
from orgs.models import Organization
from orgs.services.updates import model_update

MIN_RATE_LIMIT = 60  # one a second
MAX_RATE_LIMIT = 60_000  # a thousand a second per token


@transaction.atomic
def organization_set_scim_rate_limit(
    *, organization: Organization, per_minute: int, actor: Actor
) -> Organization:
    """Set the requests per minute each SCIM token of ``organization`` may make; it applies
    from the next request on every instance. Audited as ``org.scim.rate_limit_changed``."""
    if isinstance(per_minute, bool) or not isinstance(per_minute, int):
        raise InvalidInput("The SCIM rate limit must be a whole number of requests per minute.")
    if not MIN_RATE_LIMIT <= per_minute <= MAX_RATE_LIMIT:
        raise InvalidInput(
            f"The SCIM rate limit must be between {MIN_RATE_LIMIT} and {MAX_RATE_LIMIT:,} "
            "requests per minute."
        )
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    changes = model_update(org, {"scim_rate_limit_per_minute": per_minute})
    if changes:
        audit_record(
            organization=org, actor=actor, action="org.scim.rate_limit_changed", target=org,
            data={"per_minute": changes["scim_rate_limit_per_minute"]},
        )
    organization.scim_rate_limit_per_minute = per_minute
    return org

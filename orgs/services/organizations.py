"""Organizations and their plain settings."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from orgs.audit import Actor, audit_record
from orgs.exceptions import (
    AlreadyExists,
    InvalidInput,
)
from orgs.models import (
    Organization,
    Role,
)
from orgs.plans import Plan
from orgs.services.checks import (
    check_role,
)
from orgs.services.updates import model_update


@transaction.atomic
def organization_create(
    *,
    name: str,
    actor: Actor,
    slug: str = "",
    plan: str = Plan.FREE,
    default_role: str = Role.MEMBER,
) -> Organization:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("An organization needs a name.")
    slug = slugify(slug or name)
    if not slug:
        raise InvalidInput(f"Cannot make a slug from {name!r}; give one explicitly.")
    if plan not in Plan.values:
        raise InvalidInput(f"Unknown plan {plan!r}: choose one of {', '.join(Plan.values)}.")
    check_role(default_role)
    if Organization.objects.filter(slug=slug).exists():
        raise AlreadyExists(f"An organization with slug {slug!r} already exists.")
    try:
        with transaction.atomic():
            org = Organization.objects.create(
                name=name, slug=slug, plan=plan, default_role=default_role
            )
    except IntegrityError as exc:
        raise AlreadyExists(f"An organization with slug {slug!r} already exists.") from exc
    audit_record(
        organization=org, actor=actor, action="org.created", target=org,
        data={"slug": slug, "plan": plan},
    )
    return org


@transaction.atomic
def organization_update_settings(
    *, organization: Organization, actor: Actor, **changes: Any
) -> Organization:
    """Change plain settings (name, plan, default role, JIT). SCIM and SSO enforcement have
    their own services because they have preconditions."""
    allowed = {"name", "plan", "default_role", "sso_jit_provisioning"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(f"Cannot change {', '.join(sorted(unknown))} here.")
    if "plan" in changes and changes["plan"] not in Plan.values:
        raise InvalidInput(f"Unknown plan {changes['plan']!r}.")
    if "default_role" in changes:
        check_role(changes["default_role"])
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    diff = model_update(org, changes)
    if not diff:
        return org
    audit_record(
        organization=org, actor=actor, action="org.updated", target=org, data={"changes": diff}
    )
    return org

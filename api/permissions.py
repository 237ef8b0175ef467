"""Who may do what through the API: exactly what they may do in the admin.

``orgs.permissions`` is the one rule (superusers administer every organization, a staff user the
organizations where they are an active, accepted admin, a SAML session only those whose IdP
signed them in). An API key narrows it to its own organization when it has one. Someone who
administers nothing gets 403 on every endpoint; an organization outside the caller's scope, and
anything in it, is 404 whether or not it exists, so guessing ids learns nothing.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.http import Http404
from rest_framework.permissions import BasePermission

from api.authentication import request_api_key
from orgs.models import Organization
from orgs.permissions import administered_org_ids

SLUG = re.compile(r"[-a-zA-Z0-9_]{1,80}")


def api_org_ids(request: Any) -> set[Any] | None:
    """Ids of the organizations this request may administer; None means all (an operator)."""
    ids = administered_org_ids(request)
    key = request_api_key(request)
    if key is None or key.organization_id is None:
        return ids
    if ids is None:
        return {key.organization_id}
    return ids & {key.organization_id}


def organizations_in_scope(request: Any) -> Any:
    ids = api_org_ids(request)
    qs = Organization.objects.all()
    return qs if ids is None else qs.filter(pk__in=ids)


def organization_for(request: Any, ref: str) -> Organization:
    """The organization a URL names by id or slug, if the caller administers it; else 404."""
    try:
        lookup: dict[str, Any] = {"pk": uuid.UUID(ref)}
    except ValueError:
        if not SLUG.fullmatch(ref):  # nothing else is a slug, and NUL would upset PostgreSQL
            raise Http404("No such organization.") from None
        lookup = {"slug": ref}
    org = organizations_in_scope(request).filter(**lookup).first()
    if org is None:
        raise Http404("No such organization.")
    return org


class AdministersAnOrganization(BasePermission):
    """Only an organization's admin (or an operator) uses the management API."""

    message = "Only organization admins may use the management API."

    def has_permission(self, request: Any, view: Any) -> bool:
        if not getattr(request.user, "is_authenticated", False):
            return False  # DRF answers 401 with the challenge
        ids = api_org_ids(request)
        return ids is None or bool(ids)

"""Tenancy for the Django admin.

Superusers see everything. A staff user who is an active admin of some organizations sees and
changes only those organizations' rows; anything else is absent from their lists and answers
404 by URL (``get_queryset`` is scoped) or 403 (permission checks on the object). Org admins
hold no Django model permissions: the rule in ``orgs.permissions`` replaces them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from orgs.permissions import administered_org_ids, can_administer


class NotFoundOutsideScope:
    """An object outside the caller's scope answers 404, not the admin's usual redirect to the
    index with a "doesn't exist" message, so guessed URLs learn nothing and fail loudly."""

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        obj = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        if obj is None:
            raise Http404("No such object.")
        return obj


class TenantScopedAdmin(NotFoundOutsideScope, admin.ModelAdmin):
    """A ModelAdmin whose rows belong to an organization reached through ``org_path``."""

    org_path: str = "organization"

    def _org_of(self, obj: Any) -> Any:
        target = obj
        for part in self.org_path.split("__"):
            if part == "":
                break
            target = getattr(target, part)
        return target

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        ids = administered_org_ids(request.user)
        if ids is None:
            return qs
        lookup = f"{self.org_path}__in" if self.org_path else "pk__in"
        return qs.filter(**{lookup: ids})

    def _allowed(self, request: HttpRequest, obj: Any = None) -> bool:
        ids = administered_org_ids(request.user)
        if ids is None:
            return True
        if not ids:
            return False
        return obj is None or can_administer(request.user, self._org_of(obj))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        """Offer only the caller's organizations (and their members) in choice lists."""
        ids = administered_org_ids(request.user)
        if ids is not None:
            model = db_field.remote_field.model
            if model._meta.label == "orgs.Organization":
                kwargs["queryset"] = model.objects.filter(pk__in=ids)
            elif hasattr(model, "organization"):
                kwargs["queryset"] = model.objects.filter(organization_id__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

"""Roster's admin site: Django's, with the index's "Recent actions" kept inside the caller's
organizations.

Django lists the caller's own last actions with each object's name as it was then. For an org
admin that can name another organization's objects: someone who also administers Globex, in a
session Acme's IdP signed (which speaks for Acme only), or after losing their Globex seat. So
an org admin sees only entries whose object they can still open through its ModelAdmin's
scoped queryset; deletions (the object is gone, its organization unknown) are left out.

Installed in place of ``django.contrib.admin`` (``RosterAdminConfig`` in settings), so
``admin.site`` is this site. Models are imported lazily: this module loads with the settings.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

RECENT_ACTIONS_WINDOW = 50  # the caller's last entries looked at; the index shows 10


class RosterAdminSite(admin.AdminSite):
    def get_log_entries(self, request: HttpRequest) -> QuerySet:
        """Every admin page's context has this; only the index reads it, so it is lazy."""
        from orgs.permissions import administered_org_ids

        entries = super().get_log_entries(request)
        if administered_org_ids(request) is None:
            return entries
        return SimpleLazyObject(  # type: ignore[return-value]
            lambda: entries.filter(pk__in=self._entries_in_scope(request, entries))
        )

    def _entries_in_scope(self, request: HttpRequest, entries: QuerySet) -> list[int]:
        """Ids of the caller's recent entries whose object the caller may open now."""
        recent = entries.filter(user__pk=request.user.pk).order_by("-action_time", "-id")
        by_type: dict[Any, list[Any]] = defaultdict(list)
        for entry in recent[:RECENT_ACTIONS_WINDOW]:
            if not entry.is_deletion() and entry.content_type_id is not None:
                by_type[entry.content_type].append(entry)
        keep: list[int] = []
        for content_type, group in by_type.items():
            model = content_type.model_class()
            model_admin = self._registry.get(model)
            if model_admin is None or not model_admin.has_view_permission(request):
                continue
            pks: dict[int, Any] = {}
            for entry in group:
                try:
                    pks[entry.pk] = model._meta.pk.to_python(entry.object_id)
                except ValidationError:
                    continue
            visible = set(
                model_admin.get_queryset(request)
                .filter(pk__in=pks.values())
                .values_list("pk", flat=True)
            )
            keep += [entry_id for entry_id, pk in pks.items() if pk in visible]
        return keep


class RosterAdminConfig(AdminConfig):
    """``django.contrib.admin`` with ``RosterAdminSite`` as ``admin.site``."""

    default = False
    default_site = "orgs.admin_site.RosterAdminSite"

"""The SCIM request log in the Django admin: read-only, scoped like every other admin.

Org admins see their organizations' requests (they also have them on the Provisioning tab);
the requests no organization could be named for (an unknown token of no organization's
prefix, no token at all) have no organization and are listed to superusers only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from orgs.admin_tenancy import ReadOnlyTenantAdmin
from scim.models import ScimRequest
from scim.selectors import STATUS_CLASSES


class StatusClassFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status_class"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(c, c) for c in STATUS_CLASSES]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value not in STATUS_CLASSES:
            return queryset
        low = int(value[0]) * 100
        return queryset.filter(status__gte=low, status__lt=low + 100)


@admin.register(ScimRequest)
class ScimRequestAdmin(ReadOnlyTenantAdmin):
    list_display = ["created_at", "organization", "method", "path", "status", "duration_ms",
                    "token_prefix", "client_ip"]
    list_filter = [StatusClassFilter, "method", "resource", "organization"]
    search_fields = ["request_id", "path", "token_prefix", "client_ip"]
    list_select_related = ["organization"]
    date_hierarchy = "created_at"
    show_full_result_count = False  # a large log: no second COUNT per page

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            qs = qs.defer("request_body", "response_body")
        return qs

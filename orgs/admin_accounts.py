"""The admin's pages for the audit log and for accounts (operators only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from orgs.admin_tenancy import NotFoundOutsideScope, ReadOnlyTenantAdmin
from orgs.models import AuditEvent, User
from orgs.permissions import administered_org_ids


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyTenantAdmin):
    list_display = ["created_at", "organization", "action", "actor_label", "target_kind",
                    "target_label", "ip"]
    list_filter = ["action", "actor_kind", "target_kind", "organization"]
    search_fields = ["action", "actor_label", "target_label", "target_id", "request_id"]
    list_select_related = ["organization"]
    date_hierarchy = "created_at"


@admin.register(User)
class UserAdmin(NotFoundOutsideScope, DjangoUserAdmin):
    """Accounts are global and hold more than any one organization may read (last login,
    setup date, public key, staff flags, other memberships), so only operators (superusers)
    get these pages. An org admin manages people through Memberships, which show the email
    their organization holds; every account URL answers them 404."""

    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_superuser",
                    "setup_completed_at"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Personal info", {"fields": ["first_name", "last_name"]}),
        ("Account setup", {"fields": ["setup_completed_at", "public_key"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
    ]
    readonly_fields = ["setup_completed_at", "public_key", "last_login", "date_joined"]

    @staticmethod
    def _operator(request: HttpRequest) -> bool:
        return administered_org_ids(request) is None

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        return qs if self._operator(request) else qs.none()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._operator(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._operator(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._operator(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._operator(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._operator(request)

"""The Django admin for the domain: thin over the services, scoped to the caller's orgs."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from orgs import services
from orgs.admin_forms import (
    GroupForm,
    MembershipAddForm,
    MembershipChangeForm,
    OrganizationAddForm,
    OrganizationChangeForm,
    ServiceForm,
)
from orgs.admin_tenancy import NotFoundOutsideScope, TenantScopedAdmin
from orgs.audit import Actor
from orgs.exceptions import DomainError
from orgs.models import AuditEvent, Group, GroupMember, Membership, User
from orgs.permissions import administered_org_ids

admin.site.site_header = "Roster administration"
admin.site.site_title = "Roster"
admin.site.index_title = "Organizations, members and provisioning"


class ServiceFormAdmin(TenantScopedAdmin):
    """Writes through ``ServiceForm.apply()`` in ``save_model``, after the whole page is valid.

    A service's refusal there rolls back the admin's transaction; the page is then built again
    from the same POST with the refusal as the form's error, so nothing is half-written.
    """

    add_form: type[ServiceForm] | None = None

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kw: Any):
        if obj is None and self.add_form is not None:
            kw["form"] = self.add_form
            kw["fields"] = None
        form_class = super().get_form(request, obj, change=change, **kw)

        class BoundForm(form_class):  # type: ignore[valid-type, misc]
            pass

        BoundForm.actor = Actor.for_user(request.user, request)
        BoundForm.refusal = getattr(request, REFUSAL_ATTRIBUTE, None)
        return BoundForm

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        """Inlines list an object's rows; an object being added has none yet."""
        return super().get_inline_instances(request, obj) if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        result = form.apply()  # a DomainError goes to changeform_view
        if result is not None and result is not obj:
            _adopt(obj, result)

    def changeform_view(self, request: HttpRequest, object_id: str | None = None,
                        form_url: str = "", extra_context: dict | None = None) -> Any:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as refusal:  # raised in save_model; the transaction rolled back
            setattr(request, REFUSAL_ATTRIBUTE, refusal)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def _run_service(self, request: HttpRequest, queryset: QuerySet, fn: Any, verb: str) -> None:
        actor = Actor.for_user(request.user, request)
        done, failed = 0, []
        for obj in queryset:
            try:
                fn(obj, actor)
                done += 1
            except DomainError as exc:
                failed.append(exc.message)
        if done:
            self.message_user(request, f"{verb} {done} item(s).", messages.SUCCESS)
        for message in failed:
            self.message_user(request, message, messages.ERROR)


# The service's refusal of this request, handed from changeform_view to the rebuilt form.
REFUSAL_ATTRIBUTE = "_roster_service_refusal"


def _adopt(obj: Any, saved: Any) -> None:
    """Make the admin's unsaved object the row the service saved (the admin then logs it and
    redirects to it)."""
    for field in saved._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


class ReadOnlyInline(admin.TabularInline):
    """Rows shown on their parent's page; they change through their own admin and services."""

    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return list(self.fields or [])

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True


class MembershipInline(ReadOnlyInline):
    model = Membership
    fields = ["email", "scim_user_name", "role", "status", "is_active", "source", "created_at"]
    verbose_name_plural = "Members"


class GroupInline(ReadOnlyInline):
    model = Group
    fields = ["display_name", "external_id", "created_at"]
    verbose_name_plural = "Groups"


class OrganizationAdmin(ServiceFormAdmin):
    org_path = ""
    add_form = OrganizationAddForm
    form = OrganizationChangeForm
    list_display = ["name", "slug", "plan", "scim_enabled", "sso_enforced", "created_at"]
    list_filter = ["plan", "scim_enabled", "sso_enforced"]
    search_fields = ["name", "slug"]
    readonly_fields = ["slug", "scim_enabled", "sso_enforced", "created_at", "updated_at"]
    inlines = [MembershipInline, GroupInline]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None):
        if obj is None:
            return [(None, {"fields": ["name", "slug", "plan", "default_role"]})]
        return [
            (None, {"fields": ["name", "slug", "plan", "default_role"]}),
            ("Provisioning and SSO", {
                "fields": ["scim_enabled", "sso_enforced", "sso_jit_provisioning"],
                "description": "SCIM and SSO enforcement are changed on the SSO page.",
            }),
            (None, {"fields": ["created_at", "updated_at"]}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(self.readonly_fields)
        if obj is not None and not request.user.is_superuser:
            fields.append("plan")  # the plan is billing: operators change it
        return fields if obj is not None else []

    def get_inline_instances(self, request: HttpRequest, obj: Any = None):
        return super().get_inline_instances(request, obj) if obj is not None else []

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


@admin.register(Membership)
class MembershipAdmin(ServiceFormAdmin):
    add_form = MembershipAddForm
    form = MembershipChangeForm
    list_display = ["email", "scim_user_name", "user", "organization", "role", "status",
                    "is_active", "source", "created_at"]
    list_filter = ["role", "status", "is_active", "source", "organization"]
    search_fields = ["email", "given_name", "family_name", "scim_user_name",
                     "external_id"]
    list_select_related = ["user", "organization"]
    actions = ["deactivate", "reactivate", "remove"]
    readonly_fields = ["email", "given_name", "family_name", "user", "organization", "status",
                       "is_active", "source", "scim_user_name", "external_id", "groups_list",
                       "created_at", "updated_at"]

    def _account_field(self, request: HttpRequest) -> str:
        """Operators see the linked account (a link to its page). Org admins see when one was
        linked, not which: the account is global and holds more than their organization does
        (its own login email, last login, keys, staff flags, other memberships)."""
        return "user" if administered_org_ids(request) is None else "linked_at"

    def _with_account_field(self, request: HttpRequest, fields: Any) -> list[str]:
        account = self._account_field(request)
        return [account if f == "user" else f for f in fields]

    def get_list_display(self, request: HttpRequest) -> list[str]:
        return self._with_account_field(request, super().get_list_display(request))

    def get_fields(self, request: HttpRequest, obj: Any = None):
        if obj is None:
            return ["organization", "email", "first_name", "last_name", "role"]
        return self._with_account_field(request, [
            "email", "given_name", "family_name", "user", "organization", "role", "status",
            "is_active", "source", "scim_user_name", "external_id", "groups_list",
            "created_at", "updated_at",
        ])

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None):
        if obj is None:
            return []
        return self._with_account_field(request, self.readonly_fields)

    @admin.display(description="Groups")
    def groups_list(self, obj: Membership) -> str:
        return ", ".join(g.display_name for g in obj.groups.all()) or "—"

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # removal goes through the service
        return actions

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        services.membership_remove(membership=obj, actor=Actor.for_user(request.user, request))

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            from django.shortcuts import redirect

            return redirect("admin:orgs_membership_change", object_id)

    @admin.action(description="Deactivate selected members (keep them and their groups)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._run_service(
            request, queryset,
            lambda m, a: services.membership_deactivate(membership=m, actor=a), "Deactivated",
        )

    @admin.action(description="Reactivate selected members")
    def reactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._run_service(
            request, queryset,
            lambda m, a: services.membership_reactivate(membership=m, actor=a), "Reactivated",
        )

    @admin.action(description="Remove selected members from their organization")
    def remove(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._run_service(
            request, queryset,
            lambda m, a: services.membership_remove(membership=m, actor=a), "Removed",
        )


class GroupMemberInline(ReadOnlyInline):
    model = GroupMember
    fields = ["membership", "created_at"]
    show_change_link = False
    verbose_name_plural = "Members"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("membership")


@admin.register(Group)
class GroupAdmin(ServiceFormAdmin):
    form = GroupForm
    add_form = GroupForm
    list_display = ["display_name", "organization", "external_id", "created_at"]
    list_filter = ["organization"]
    search_fields = ["display_name", "external_id"]
    list_select_related = ["organization"]
    readonly_fields = ["organization", "external_id", "created_at", "updated_at"]
    inlines = [GroupMemberInline]

    def get_fields(self, request: HttpRequest, obj: Any = None):
        if obj is None:
            return ["organization", "display_name"]
        return ["display_name", *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None):
        return self.readonly_fields if obj is not None else []

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request: HttpRequest, obj: Group) -> None:
        services.group_delete(group=obj, actor=Actor.for_user(request.user, request))


@admin.register(AuditEvent)
class AuditEventAdmin(TenantScopedAdmin):
    list_display = ["created_at", "organization", "action", "actor_label", "target_kind",
                    "target_label", "ip"]
    list_filter = ["action", "actor_kind", "target_kind", "organization"]
    search_fields = ["action", "actor_label", "target_label", "target_id", "request_id"]
    list_select_related = ["organization"]
    date_hierarchy = "created_at"

    def _org_of(self, obj: Any) -> Any:
        return obj.organization_id

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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

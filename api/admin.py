"""The admin's API keys page: every staff user lists, creates and revokes their own keys.

A ModelAdmin whose rows are only ever the caller's own keys (operators' too: a key is personal).
Creating and revoking are pages added the way ``contrib.auth``'s ``UserAdmin`` adds its password
page: views wrapped in ``admin_site.admin_view``, a form, one service call, a
``TemplateResponse`` built on ``admin_site.each_context``. The key is shown once, in the create
POST's own answer (``no-store``); a replayed POST creates nothing (the form's one-time nonce).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods

from api import services
from api.admin_forms import ApiKeyCreateForm, consume_nonce, issue_nonce
from api.models import ApiKey
from orgs.admin_tenancy import NotFoundOutsideScope
from orgs.audit import Actor
from orgs.exceptions import DomainError
from orgs.models import Organization
from orgs.permissions import administered_org_ids, session_org_scope

TEMPLATES = "admin/api/apikey"
GET_POST = require_http_methods(["GET", "HEAD", "POST"])


@admin.register(ApiKey)
class ApiKeyAdmin(NotFoundOutsideScope, admin.ModelAdmin):
    list_display = ["description_or_dash", "prefix_shown", "scope", "created_at", "expires_at",
                    "last_used_at", "status", "revoke_link"]
    list_display_links = ["description_or_dash"]
    fields = ["description", "prefix", "organization", "created_at", "expires_at",
              "last_used_at", "revoked_at"]
    readonly_fields = fields
    list_select_related = ["organization"]

    # --- only the caller's own keys; no Django model permissions needed ---------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).filter(user__pk=request.user.pk)

    def _staff(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._staff(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._staff(request) and (obj is None or obj.user_id == request.user.pk)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._staff(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a key is created and revoked, never edited

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoked, so its audit trail keeps meaning something

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}

    # --- columns ----------------------------------------------------------------------------

    @admin.display(description="Description", ordering="description")
    def description_or_dash(self, key: ApiKey) -> str:
        return key.description or "—"

    @admin.display(description="Prefix")
    def prefix_shown(self, key: ApiKey) -> str:
        return format_html("<code>{}…</code>", key.prefix)

    @admin.display(description="Organizations")
    def scope(self, key: ApiKey) -> str:
        return key.organization.name if key.organization else "Every one I administer"

    @admin.display(description="Status")
    def status(self, key: ApiKey) -> str:
        return key.status

    @admin.display(description="")
    def revoke_link(self, key: ApiKey) -> str:
        if key.revoked_at is not None:
            return ""
        url = reverse(f"{self.admin_site.name}:api_apikey_revoke", args=(key.pk,))
        return format_html('<a href="{}" class="deletelink">Revoke</a>', url)

    # --- create and revoke ------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        return [
            path("<path:object_id>/revoke/", self.admin_site.admin_view(GET_POST(self.revoke_view)),
                 name="api_apikey_revoke"),
            *super().get_urls(),
        ]

    def _organizations(self, request: HttpRequest) -> QuerySet[Organization]:
        ids = administered_org_ids(request)
        return Organization.objects.all() if ids is None else Organization.objects.filter(
            pk__in=ids)

    def _render(self, request: HttpRequest, template: str, title: str, **context: Any
                ) -> TemplateResponse:
        request.current_app = self.admin_site.name
        return TemplateResponse(request, f"{TEMPLATES}/{template}", {
            **self.admin_site.each_context(request), "opts": self.opts, "title": title,
            "changelist_url": reverse(f"{self.admin_site.name}:api_apikey_changelist"),
            **context,
        })

    def add_view(self, request: HttpRequest, form_url: str = "",
                 extra_context: dict | None = None) -> HttpResponse:
        """GET: the form. POST: create the key and show it, this once."""
        if not self.has_add_permission(request):
            raise Http404
        organizations = self._organizations(request)
        if request.method != "POST":
            form = ApiKeyCreateForm(organizations=organizations)
            return self._render(request, "create.html", "Create an API key", form=form)
        form = ApiKeyCreateForm(request.POST, organizations=organizations)
        if not form.is_valid():
            return self._render(request, "create.html", "Create an API key", form=form)
        if not consume_nonce(form.cleaned_data["nonce"]):
            messages.warning(request, "This form was already submitted, so no new key was made "
                             "and the key is not shown again. If you did not copy it, revoke it "
                             "and create a new one.")
            return HttpResponseRedirect(reverse(f"{self.admin_site.name}:api_apikey_changelist"))
        try:
            created = services.api_key_create(
                user=request.user, actor=Actor.for_user(request.user, request),
                allowed_org_ids=administered_org_ids(request),
                session_scoped=session_org_scope(request) is not None,
                organization=form.cleaned_data["organization"],
                description=form.cleaned_data["description"],
                expires_in_days=form.cleaned_data["expires_in_days"],
            )
        except DomainError as exc:
            retry = ApiKeyCreateForm({**request.POST.dict(), "nonce": issue_nonce()},
                                     organizations=organizations)
            retry.is_valid()
            retry.add_error(None, exc.message)
            return self._render(request, "create.html", "Create an API key", form=retry)
        response = self._render(request, "created.html", "New API key", key=created.key,
                                plaintext=created.plaintext, api_url=request.build_absolute_uri(
                                    reverse("api:organizations")))
        add_never_cache_headers(response)  # no-store: Back must not bring the key back
        response["Referrer-Policy"] = "no-referrer"
        return response

    def revoke_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        key = self.get_object(request, unquote(object_id))  # the caller's own, else 404
        changelist = reverse(f"{self.admin_site.name}:api_apikey_changelist")
        if request.method == "POST":
            if key.revoked_at is None:
                services.api_key_revoke(key=key, actor=Actor.for_user(request.user, request))
                messages.success(request, f"Revoked API key {key.prefix}…: calls with it now "
                                          "get 401.")
            return HttpResponseRedirect(changelist)
        return self._render(request, "revoke.html", "Revoke API key", key=key)

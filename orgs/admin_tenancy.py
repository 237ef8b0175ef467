"""Tenancy for the Django admin.

Superusers see everything. A staff user who is an active admin of some organizations sees and
changes only those organizations' rows; anything else is absent from their lists and answers
404 by URL (``get_queryset`` is scoped) or 403 (permission checks on the object). Org admins
hold no Django model permissions: the rule in ``orgs.permissions`` replaces them.

Rows are not the only place another organization could show: list filters, choice lists and
autocompletes list *related* objects. ``TenantScopedAdmin`` scopes those too, so an org admin
never reads another organization's name or id anywhere in the admin.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from orgs.models import Organization
from orgs.permissions import administered_org_ids, can_administer


class OrganizationListFilter(admin.RelatedFieldListFilter):
    """"By organization", offering only the organizations the caller administers.

    Hidden when that is a single organization (unless a link selected it). An organization id
    the caller does not administer is an invalid lookup (the admin's "?e=1" page), not an empty
    list, so a guessed id reads the same whether or not it exists. Superusers get Django's
    filter unchanged."""

    def __init__(self, field: Any, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.scope = administered_org_ids(request)
        super().__init__(field, request, *args, **kwargs)

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list:
        if self.scope is None:
            return super().field_choices(field, request, model_admin)
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(
            include_blank=False, limit_choices_to={"pk__in": self.scope}, ordering=ordering
        )

    @property
    def include_empty_choice(self) -> bool:
        return self.scope is None and super().include_empty_choice

    def has_output(self) -> bool:
        if self.scope is None:
            return super().has_output()
        return len(self.lookup_choices) > 1 or self.lookup_val is not None

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.scope is not None and self.lookup_val is not None:
            try:
                wanted = {self.field.target_field.to_python(v) for v in self.lookup_val}
            except ValidationError as exc:
                raise IncorrectLookupParameters(exc) from exc
            if not wanted <= self.scope:
                raise IncorrectLookupParameters("Not an organization you administer.")
        return super().queryset(request, queryset)


def scoped_list_filter(model: type[Model], item: Any) -> Any:
    """A ``list_filter`` entry made safe for org admins: a plain name of a relation to
    ``Organization`` gets ``OrganizationListFilter``; of any other relation, Django's
    ``RelatedOnlyFieldListFilter`` (only objects the caller's own rows point to)."""
    if not isinstance(item, str):
        return item
    target: Any = model
    field = None
    for part in item.split("__"):
        try:
            field = target._meta.get_field(part)
        except (FieldDoesNotExist, AttributeError):
            return item
        target = field.related_model
    if field is None or not field.is_relation:
        return item
    if target is Organization:
        return (item, OrganizationListFilter)
    return (item, admin.RelatedOnlyFieldListFilter)


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
        ids = administered_org_ids(request)
        if ids is None:
            return qs
        lookup = f"{self.org_path}__in" if self.org_path else "pk__in"
        return qs.filter(**{lookup: ids})

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        return [scoped_list_filter(self.model, item) for item in super().get_list_filter(request)]

    def _allowed(self, request: HttpRequest, obj: Any = None) -> bool:
        ids = administered_org_ids(request)
        if ids is None:
            return True
        if not ids:
            return False
        return obj is None or can_administer(request, self._org_of(obj))

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
        ids = administered_org_ids(request)
        if ids is not None:
            model = db_field.remote_field.model
            if model._meta.label == "orgs.Organization":
                kwargs["queryset"] = model.objects.filter(pk__in=ids)
            elif hasattr(model, "organization"):
                kwargs["queryset"] = model.objects.filter(organization_id__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

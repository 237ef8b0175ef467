"""Admin forms that write through the services.

A form validates its fields; the admin's ``save_model`` then calls ``apply()`` (the service),
only after the whole page — the form and every inline formset — is valid, inside the admin's
transaction. A service's refusal (last admin, duplicate, cross-org) rolls that transaction
back and the page is shown again with the refusal as the form's error
(``ServiceFormAdmin.changeform_view``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from orgs import services
from orgs.audit import Actor
from orgs.exceptions import DomainError
from orgs.models import Group, Membership, Organization


class ServiceForm(forms.ModelForm):
    """A ModelForm whose ``apply()`` calls a service; ``actor`` is set by the admin, and
    ``refusal`` when the service refused this very submission."""

    actor: Actor
    refusal: DomainError | None = None

    def apply(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.refusal is not None:
            raise ValidationError(self.refusal.message, code=self.refusal.code)
        return cleaned

    def _post_clean(self) -> None:
        """The service validates and writes; don't copy form data onto the instance."""

    def save(self, commit: bool = True) -> Any:
        return self.instance

    def save_m2m(self) -> None:
        """Related rows change only through services."""


class OrganizationAddForm(ServiceForm):
    class Meta:
        model = Organization
        fields = ["name", "slug", "plan", "default_role"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["slug"].help_text = "Leave empty to derive it from the name."

    def validate_unique(self) -> None:
        """The service reports a duplicate slug itself."""

    def apply(self) -> Organization:
        data = self.cleaned_data
        return services.organization_create(
            name=data["name"], slug=data.get("slug") or "", plan=data["plan"],
            default_role=data["default_role"], actor=self.actor,
        )


class OrganizationChangeForm(ServiceForm):
    class Meta:
        model = Organization
        fields = ["name", "plan", "default_role", "sso_jit_provisioning"]

    def apply(self) -> Organization:
        changes = {k: self.cleaned_data[k] for k in self.fields if k in self.cleaned_data}
        return services.organization_update_settings(
            organization=self.instance, actor=self.actor, **changes
        )


class MembershipAddForm(ServiceForm):
    email = forms.EmailField()
    first_name = forms.CharField(required=False, max_length=150)
    last_name = forms.CharField(required=False, max_length=150)

    class Meta:
        model = Membership
        fields = ["organization", "role"]

    def validate_unique(self) -> None:
        """The service reports an existing membership itself."""

    def apply(self) -> Membership:
        data = self.cleaned_data
        return services.membership_add(
            organization=data["organization"], email=data["email"],
            first_name=data.get("first_name", ""), last_name=data.get("last_name", ""),
            role=data["role"], actor=self.actor,
        )


class MembershipChangeForm(ServiceForm):
    class Meta:
        model = Membership
        fields = ["role"]

    def apply(self) -> Membership:
        return services.membership_change_role(
            membership=self.instance, role=self.cleaned_data["role"], actor=self.actor
        )


class GroupForm(ServiceForm):
    class Meta:
        model = Group
        fields = ["organization", "display_name"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:
            self.fields.pop("organization", None)

    def validate_unique(self) -> None:
        """The service reports a duplicate name itself."""

    def apply(self) -> Group:
        data = self.cleaned_data
        if not self.instance._state.adding:
            return services.group_update(
                group=self.instance, display_name=data["display_name"], actor=self.actor
            )
        return services.group_create(
            organization=data["organization"], display_name=data["display_name"],
            actor=self.actor,
        )


"""Pieces every resource's serializers share: strict input, text rules, the error shape."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from orgs.text import text_problem


class StrictSerializer(serializers.Serializer):
    """Input whose every field is known: a misspelt or read-only field is an error naming it,
    never silently ignored (a client sending ``scim_enable`` must learn it did nothing)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError({
                    str(name): ["This field cannot be changed." if name in self.fields
                                else "Unknown field."] for name in unknown
                })
        return super().to_internal_value(data)


class TextField(serializers.CharField):
    """A CharField held to ``orgs.text``'s rule for what Roster stores (no control or bidi
    characters, no lone surrogates), so a bad value is refused here, naming the field."""

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        problem = text_problem(value)
        if problem is not None:
            raise serializers.ValidationError(f"The value {problem}.")
        return value


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable: e.g. `invalid`, "
                                 "`not_found`, `uniqueness`, `last_admin`, `throttled`.")
    message = serializers.CharField(help_text="For a person.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Each input field at fault (dotted when nested) and its messages; `{}` when "
                  "the error is not about one field.",
    )


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API."""

    error = ErrorDetailSerializer()

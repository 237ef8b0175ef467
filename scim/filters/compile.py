"""SCIM filter expressions → Django ``Q`` objects (see the package docstring for the rules).

Each comparison is a real Django lookup over an expression (``Exact(FoldCase(column),
FoldCase(value))``), so the SQL is written once here and nothing is rewritten afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection
from django.db.models import Expression, F, Q, TextField, Value
from django.db.models.functions import Coalesce, Collate, Left, Lower, Right, StrIndex
from django.db.models.lookups import (
    Contains,
    EndsWith,
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
    StartsWith,
)
from django.utils.dateparse import parse_datetime
from scim2_filter_parser import ast

from orgs.models import GroupMember
from orgs.text import fold
from scim.attributes import GROUP_COLUMNS, USER_COLUMNS
from scim.filters.emails import EmailsMatch, email_candidates
from scim.grammar import invalid_filter, operand


@dataclass(frozen=True)
class Field:
    """How one SCIM attribute is stored: a column (or an expression over columns) and its
    kind; ``key`` names its lookup key column (``orgs.lookup_keys``), when it has one."""

    column: str | Expression
    # "ci" case-insensitive string, "exact" string, "bool", "username", "id" (the resource's
    # own UUID), "member" (a group member's User id), "datetime" (meta.created/lastModified)
    kind: str = "ci"
    # A case-insensitive attribute is compared on its key (the folded column) with the
    # folded value, so eq is an indexed "="; a case-exact one (externalId) checks its key too,
    # for the index, and then the exact column.
    key: str | None = None


USER_FIELDS: dict[str, Field] = {
    "id": Field("pk", "id"),
    # userName is the stored SCIM userName, or the email for members added by hand: the key
    # holds whichever it is.
    "username": Field("user_name_key", "username", key="user_name_key"),
    "externalid": Field(USER_COLUMNS["externalId"], "exact", key="external_id_key"),
    "name.givenname": Field(USER_COLUMNS["name.givenName"]),
    "name.familyname": Field(USER_COLUMNS["name.familyName"]),
    "displayname": Field(USER_COLUMNS["displayName"], key="scim_profile__display_name_key"),
    "active": Field(USER_COLUMNS["active"], "bool"),
    "meta.created": Field(USER_COLUMNS["meta.created"], "datetime"),
    "meta.lastmodified": Field(USER_COLUMNS["meta.lastModified"], "datetime"),
}

GROUP_FIELDS: dict[str, Field] = {
    "id": Field("pk", "id"),
    "displayname": Field(GROUP_COLUMNS["displayName"], key="display_name_key"),
    "externalid": Field(GROUP_COLUMNS["externalId"], "exact"),
    # Entra asks "is this user a member?" as id eq "<gid>" and members[value eq "<uid>"].
    "members": Field("pk", "member"),
    "members.value": Field("pk", "member"),
    "meta.created": Field(GROUP_COLUMNS["meta.created"], "datetime"),
    "meta.lastmodified": Field(GROUP_COLUMNS["meta.lastModified"], "datetime"),
}


# Multi-valued complex attributes filtered element by element, and how each sub-attribute is
# compared: "text" (caseExact false) or "flag" (boolean).
USER_LISTS: dict[str, dict[str, str]] = {
    "emails": {"value": "text", "type": "text", "primary": "flag"},
}
_LIST_OPERATORS = ("eq", "ne", "co", "sw", "ew", "pr")


class Transpiler:
    def __init__(self, fields: dict[str, Field], schema: str,
                 lists: dict[str, dict[str, str]] | None = None,
                 organization_id: object = None) -> None:
        self.fields = fields
        self.schema = schema.lower()
        self.lists = lists or {}
        self.organization_id = organization_id  # scopes the emails index lookup

    def visit(self, node: ast.AST, namespace: str | None = None) -> Q:
        if isinstance(node, ast.Filter):
            if node.namespace is not None:
                # attr[subfilter]: the subfilter's attributes are sub-attributes of attr.
                if namespace is not None:
                    raise invalid_filter("Nested attribute filters are not supported.")
                namespace = self._attr_name(node.namespace, allow_sub=False)
                if namespace in self.lists:
                    q = self._list_match(namespace, self._element(node.expr, namespace))
                    return ~q if node.negated else q
            q = self.visit(node.expr, namespace)
            return ~q if node.negated else q
        if isinstance(node, ast.LogExpr):
            left, right = self.visit(node.expr1, namespace), self.visit(node.expr2, namespace)
            return left & right if node.op.lower() == "and" else left | right
        if isinstance(node, ast.AttrExpr):
            return self._comparison(node, namespace)
        raise invalid_filter("The filter uses a construct that is not supported.")

    def _attr_name(self, path: ast.AttrPath, allow_sub: bool = True) -> str:
        if not isinstance(path.attr_name, str):
            raise invalid_filter("Attribute filters inside a path are not supported.")
        if path.uri and path.uri.lower().rstrip(":") != self.schema:
            raise invalid_filter(f"Filtering on {path.uri} attributes is not supported.")
        name = path.attr_name.lower()
        if path.sub_attr is not None:
            if not allow_sub:
                raise invalid_filter("A sub-attribute cannot carry a filter.")
            name = f"{name}.{path.sub_attr.value.lower()}"
        return name

    def _comparison(self, node: ast.AttrExpr, namespace: str | None) -> Q:
        operand(node)
        if isinstance(node.attr_path.attr_name, ast.Filter) and namespace is None:
            return self._value_path_comparison(node)
        name = self._attr_name(node.attr_path)
        if namespace is None and name.split(".")[0] in self.lists:
            # emails op "v" is emails.value op "v"; emails.type … is emails[type …].
            list_name, _, sub = name.partition(".")
            return self._list_match(list_name, self._leaf(list_name, sub or "value", node))
        if namespace:
            name = f"{namespace}.{name}"
        field = self.fields.get(name)
        if field is None:
            raise invalid_filter(f"Filtering on {name!r} is not supported.")
        op = node.value.lower()
        value = node.comp_value.value if node.comp_value is not None else None
        builder = _OPERATORS.get(op)
        if builder is None:
            raise invalid_filter(f"The operator {op!r} is not supported.")
        if op != "pr" and value is None:
            raise invalid_filter(f"The operator {op!r} needs a value.")
        return builder(field, value)

    # --- multi-valued complex attributes (emails) --------------------------------------
    def _list_match(self, list_name: str, predicate: tuple) -> Q:
        if list_name != "emails":  # the only entry of USER_LISTS
            raise invalid_filter(f"Filtering on {list_name!r} is not supported.")
        match = Q(EmailsMatch(predicate))
        candidates = email_candidates(predicate, self.organization_id)
        return match if candidates is None else candidates & match

    def _value_path_comparison(self, node: ast.AttrExpr) -> Q:
        """Entra's ``emails[type eq "work"].value eq "x"``: some address with type work whose
        value is x, i.e. ``emails[type eq "work" and value eq "x"]``."""
        inner = node.attr_path.attr_name
        path = inner.namespace
        if path is None or path.sub_attr is None or inner.negated:
            raise invalid_filter("Attribute filters inside a path are not supported.")
        list_name = self._attr_name(ast.AttrPath(path.attr_name, None, path.uri), allow_sub=False)
        if list_name not in self.lists:
            raise invalid_filter("Attribute filters inside a path are not supported.")
        condition = self._element(inner.expr, list_name)
        leaf = self._leaf(list_name, path.sub_attr.value.lower(), node)
        return self._list_match(list_name, ("and", condition, leaf))

    def _element(self, node: ast.AST, list_name: str) -> tuple:
        """The condition inside ``list_name[…]`` as a predicate on one element."""
        if isinstance(node, ast.Filter):
            if node.namespace is not None:
                raise invalid_filter("Nested attribute filters are not supported.")
            predicate = self._element(node.expr, list_name)
            return ("not", predicate) if node.negated else predicate
        if isinstance(node, ast.LogExpr):
            op = "and" if node.op.lower() == "and" else "or"
            return (op, self._element(node.expr1, list_name),
                    self._element(node.expr2, list_name))
        if isinstance(node, ast.AttrExpr):
            path = node.attr_path
            if not isinstance(path.attr_name, str):
                raise invalid_filter("Nested attribute filters are not supported.")
            if path.uri or path.sub_attr is not None:
                raise invalid_filter(
                    f"Only sub-attributes of {list_name} can be filtered inside its brackets."
                )
            return self._leaf(list_name, path.attr_name.lower(), node)
        raise invalid_filter("The filter uses a construct that is not supported.")

    def _leaf(self, list_name: str, sub: str, node: ast.AttrExpr) -> tuple:
        operand(node)
        kind = self.lists[list_name].get(sub)
        if kind is None:
            raise invalid_filter(f"Filtering on '{list_name}.{sub}' is not supported.")
        op = node.value.lower()
        value = node.comp_value.value if node.comp_value is not None else None
        if op not in _LIST_OPERATORS:
            if op in _OPERATORS:
                raise invalid_filter(f"The operator {op!r} is not supported on {list_name}.")
            raise invalid_filter(f"The operator {op!r} is not supported.")
        if op == "pr":
            return ("cmp", sub, kind, op, None)
        if value is None:
            raise invalid_filter(f"The operator {op!r} needs a value.")
        if kind == "flag":
            if op not in ("eq", "ne"):
                raise invalid_filter(f"The operator {op!r} does not apply to booleans.")
            return ("cmp", sub, kind, op, _bool(value))
        if op in ("co", "sw", "ew") and value == "":
            return ("cmp", sub, kind, "pr", None)  # see the module docstring
        return ("cmp", sub, kind, op, str(value))


def _bool(value: str) -> bool:
    lowered = str(value).lower()
    if lowered not in ("true", "false"):
        raise invalid_filter(f"{value!r} is not a boolean.")
    return lowered == "true"



def _text_of(column: str | Expression) -> Coalesce:
    """The column as text, ``""`` when a LEFT JOIN found no row (a member without a SCIM
    profile has no displayName), so ``ne`` and ``not`` include them as RFC 7644 intends."""
    return Coalesce(F(column) if isinstance(column, str) else column, Value(""),
                    output_field=TextField())


class FoldCase(Lower):
    """LOWER() on PostgreSQL; on SQLite, whose LOWER() folds ASCII only, the Unicode-aware
    ``scim_fold`` that ``scim.apps`` registers on every SQLite connection."""

    def as_sqlite(self, compiler, connection, **extra_context):  # noqa: ANN001, ANN201
        return self.as_sql(compiler, connection, function="scim_fold", **extra_context)


def _folded(field: Field) -> Expression:
    """The attribute folded: its key column when it has one (``""`` when a LEFT JOIN found no
    row, as ``_text_of``), else ``FoldCase`` of the column."""
    if field.key is not None and field.kind != "exact":
        return _text_of(field.key)
    return FoldCase(_text_of(field.column))


def _value(field: Field, value: str) -> Expression:
    """The operand folded the way ``_folded`` folds the attribute."""
    if field.key is not None and field.kind != "exact":
        return Value(fold(value))
    return FoldCase(Value(value))


def _binary(expr):  # noqa: ANN001, ANN202 — a Django expression
    collation = "C" if connection.vendor == "postgresql" else "BINARY"
    return Collate(expr, collation)


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _groups_with_member(member_id: uuid.UUID | None = None) -> Q:
    members = GroupMember.objects.all()
    if member_id is not None:
        members = members.filter(membership_id=member_id)
    return Q(pk__in=members.values("group_id"))


def _eq(field: Field, value: str) -> Q:
    if field.kind in ("id", "member"):
        found = _uuid(value)
        if found is None:  # cannot be one of ours: matches nothing, like an unknown id
            return Q(pk__in=[])
        return Q(pk=found) if field.kind == "id" else _groups_with_member(found)
    if field.kind == "username" and not value:
        return Q(pk__in=[])  # every member has a userName
    if field.kind == "bool":
        return Q(**{field.column: _bool(value)})
    if field.kind == "datetime":
        return Q(**{field.column: _datetime(value)})
    if field.kind == "exact":
        if field.key is not None and value:  # through the key's index, then exactly
            return Q(**{field.key: fold(value), field.column: value})
        return Q(**{field.column: value})
    if field.key is not None and value:
        # A plain "=" on the key column, which its index answers at any directory size (Okta
        # runs userName eq before every create). An empty value is compared as below: a
        # member without a SCIM profile has no key to find.
        return Q(**{field.key: fold(value)})
    return Q(Exact(_folded(field), _value(field, value)))


def _datetime(value: object) -> datetime:
    """A filter's dateTime value (RFC 7643 §2.3.5, xsd:dateTime); no offset means UTC."""
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:  # well-formed but impossible, such as month 13
        parsed = None
    if parsed is None:
        raise invalid_filter(f"{value!r} is not a dateTime such as \"2026-01-31T12:00:00Z\".")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_PATTERNS = {"co": Contains, "sw": StartsWith, "ew": EndsWith}


def _text(op: str) -> Callable[[Field, str], Q]:
    def build(field: Field, value: str) -> Q:
        if field.kind == "bool":
            raise invalid_filter(f"The operator {op!r} does not apply to booleans.")
        if field.kind == "datetime":
            raise invalid_filter(f"The operator {op!r} does not apply to dateTimes.")
        _only_equality(field, op)
        if value == "":  # see the module docstring
            return _present(field, value)
        if field.kind != "exact":
            return Q(_PATTERNS[op](_folded(field), _value(field, value)))
        # Case-exact on SQLite as on PostgreSQL (SQLite's LIKE ignores case): instr()/strpos()
        # for co, and the value's length of prefix or suffix under the binary collation.
        text = _text_of(field.column)
        if op == "co":
            return Q(GreaterThan(StrIndex(text, Value(value)), 0))
        cut = Left if op == "sw" else Right
        return Q(Exact(_binary(cut(text, len(value))), Value(value)))

    return build


_ORDERS = {"gt": GreaterThan, "ge": GreaterThanOrEqual, "lt": LessThan, "le": LessThanOrEqual}


def _order(op: str) -> Callable[[Field, str], Q]:
    def build(field: Field, value: str) -> Q:
        if field.kind == "bool":
            raise invalid_filter("Booleans cannot be ordered.")
        _only_equality(field, op)
        if field.kind == "datetime":
            return Q(_ORDERS[op](F(field.column), _datetime(value)))
        if field.kind in ("ci", "username"):
            return Q(_ORDERS[op](_binary(_folded(field)), _value(field, value)))
        return Q(_ORDERS[op](_binary(_text_of(field.column)), Value(value)))

    return build


def _only_equality(field: Field, op: str) -> None:
    if field.kind in ("id", "member"):
        raise invalid_filter(f"The operator {op!r} does not apply to ids.")


def _present(field: Field, value: str | None) -> Q:
    if field.kind == "id":
        return Q(pk__isnull=False)
    if field.kind == "member":
        return _groups_with_member()
    if field.kind in ("bool", "datetime"):
        return Q(**{f"{field.column}__isnull": False})
    return Q(GreaterThan(_text_of(field.column), Value("")))  # an empty value is no value


_OPERATORS: dict[str, Callable[[Field, str], Q]] = {
    "eq": _eq,
    "ne": lambda field, value: ~_eq(field, value),
    "co": _text("co"),
    "sw": _text("sw"),
    "ew": _text("ew"),
    "pr": _present,
    **{op: _order(op) for op in _ORDERS},
}

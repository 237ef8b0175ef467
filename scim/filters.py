"""SCIM filter expressions → Django ``Q`` objects, scoped by the caller to one organization.

scim2-filter-parser parses; this module transpiles. Its own Django transpiler is not used
because it maps an unknown attribute to "no condition" (a silent match-all) and reads ``pr``
as ``IS NOT NULL`` while our empty values are ``""``. Here an unknown attribute or operator is
an ``invalidFilter`` error, case-insensitive attributes are compared on ``FoldCase()`` of both
sides (the database lowers the value too, Unicode-aware on SQLite as on PostgreSQL), the
case-exact externalId is never compared with SQLite's case-blind LIKE, and ordering
comparisons use the binary collation, so SQLite and PostgreSQL agree.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Collate, Left, Lower, Right, StrIndex
from scim2_filter_parser import ast
from scim2_filter_parser.lexer import SCIMLexer
from scim2_filter_parser.parser import SCIMParser

from orgs.models import GroupMember
from scim.errors import ScimError
from scim.schemas import GROUP_SCHEMA, USER_SCHEMA

MAX_FILTER_LENGTH = 1000


def invalid_filter(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidFilter")


@dataclass(frozen=True)
class Field:
    """How one SCIM attribute is stored: a column (or annotation) and its kind."""

    column: str
    # "ci" case-insensitive string, "exact" string, "bool", "username", "id" (the resource's
    # own UUID), "member" (a group member's User id)
    kind: str = "ci"


# userName is the stored SCIM userName, or the account email for members added by hand.
_USER_NAME = Case(
    When(scim_user_name="", then=F("user__email")), default=F("scim_user_name")
)

USER_FIELDS: dict[str, Field] = {
    "id": Field("pk", "id"),
    "username": Field("_scim_user_name", "username"),
    "emails": Field("user__email"),
    "emails.value": Field("user__email"),
    "externalid": Field("external_id", "exact"),
    "name.givenname": Field("user__first_name"),
    "name.familyname": Field("user__last_name"),
    "displayname": Field("scim_profile__display_name"),
    "active": Field("is_active", "bool"),
}
# Columns the userName equality reads directly (not SCIM names: filters cannot reach them).
_HIDDEN_USER_COLUMNS = {"_sun": Field("scim_user_name"), "_email": Field("user__email")}

GROUP_FIELDS: dict[str, Field] = {
    "id": Field("pk", "id"),
    "displayname": Field("display_name"),
    "externalid": Field("external_id", "exact"),
    # Entra asks "is this user a member?" as id eq "<gid>" and members[value eq "<uid>"].
    "members": Field("pk", "member"),
    "members.value": Field("pk", "member"),
}


def annotate_users(qs: QuerySet) -> QuerySet:
    return qs.annotate(_scim_user_name=_USER_NAME)


def _parse(text: str) -> ast.AST:
    if len(text) > MAX_FILTER_LENGTH:
        raise invalid_filter("The filter is too long.")
    if "\x00" in text:
        raise invalid_filter("The filter contains a NUL character.")
    try:
        return SCIMParser().parse(SCIMLexer().tokenize(text))
    except Exception as exc:  # the parser raises bare errors on garbage; all mean "invalid"
        raise invalid_filter(f"The filter {text!r} is not a valid SCIM filter.") from exc


def _binary(expr):  # noqa: ANN001, ANN202 — a Django expression
    collation = "C" if connection.vendor == "postgresql" else "BINARY"
    return Collate(expr, collation)


class _Transpiler:
    def __init__(self, fields: dict[str, Field], schema: str) -> None:
        self.fields = fields
        self.schema = schema.lower()

    def visit(self, node: ast.AST, namespace: str | None = None) -> Q:
        if isinstance(node, ast.Filter):
            if node.namespace is not None:
                # attr[subfilter]: the subfilter's attributes are sub-attributes of attr.
                if namespace is not None:
                    raise invalid_filter("Nested attribute filters are not supported.")
                namespace = self._attr_name(node.namespace, allow_sub=False)
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
        name = self._attr_name(node.attr_path)
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


def _bool(value: str) -> bool:
    lowered = str(value).lower()
    if lowered not in ("true", "false"):
        raise invalid_filter(f"{value!r} is not a boolean.")
    return lowered == "true"


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
    if field.kind == "username":
        # Spelled on the stored columns so PostgreSQL can use the functional unique indexes on
        # Lower(scim_user_name) and Lower(email): Okta runs this lookup before every create.
        if not value:
            return Q(pk__in=[])
        return Q(scim_user_name__iexact_lower=value) | (
            Q(scim_user_name="") & Q(user__email__iexact_lower=value)
        )
    if field.kind == "bool":
        return Q(**{field.column: _bool(value)})
    if field.kind == "exact":
        return Q(**{field.column: value})
    return Q(**{f"{field.column}__iexact_lower": value})


def _text(lookup: str, op: str) -> Callable[[Field, str], Q]:
    def build(field: Field, value: str) -> Q:
        if field.kind == "bool":
            raise invalid_filter(f"The operator {op!r} does not apply to booleans.")
        _only_equality(field, op)
        if field.kind == "exact":
            # Not LIKE: SQLite's LIKE ignores case, and externalId is case-exact.
            return Q(**{f"{field.column}__exact_{lookup}": value})
        return Q(**{f"{field.column}__lower_{lookup}": value})

    return build


def _order(lookup: str) -> Callable[[Field, str], Q]:
    def build(field: Field, value: str) -> Q:
        if field.kind == "bool":
            raise invalid_filter("Booleans cannot be ordered.")
        _only_equality(field, lookup)
        if field.kind in ("ci", "username"):
            return Q(**{f"{field.column}__binarylower_{lookup}": value})
        return Q(**{f"{field.column}__binary_{lookup}": value})

    return build


def _only_equality(field: Field, op: str) -> None:
    if field.kind in ("id", "member"):
        op = {"gte": "ge", "lte": "le"}.get(op, op)
        raise invalid_filter(f"The operator {op!r} does not apply to ids.")


def _present(field: Field, value: str | None) -> Q:
    if field.kind == "id":
        return Q(pk__isnull=False)
    if field.kind == "member":
        return _groups_with_member()
    if field.kind == "bool":
        return Q(**{f"{field.column}__isnull": False})
    return Q(**{f"{field.column}__gt": ""})


_OPERATORS: dict[str, Callable[[Field, str], Q]] = {
    "eq": _eq,
    "ne": lambda field, value: ~_eq(field, value),
    "co": _text("contains", "co"),
    "sw": _text("startswith", "sw"),
    "ew": _text("endswith", "ew"),
    "pr": _present,
    "gt": _order("gt"),
    "ge": _order("gte"),
    "lt": _order("lt"),
    "le": _order("lte"),
}


def _text_of(column: str) -> Coalesce:
    """The column as text, ``""`` when a LEFT JOIN found no row (a member without a SCIM
    profile has no displayName), so ``ne`` and ``not`` include them as RFC 7644 intends."""
    return Coalesce(F(column), Value(""))


class FoldCase(Lower):
    """LOWER() on PostgreSQL; on SQLite, whose LOWER() folds ASCII only, the Unicode-aware
    ``scim_fold`` that ``scim.apps`` registers on every SQLite connection."""

    def as_sqlite(self, compiler, connection, **extra_context):  # noqa: ANN001, ANN201
        return self.as_sql(compiler, connection, function="scim_fold", **extra_context)


def _lowered(value: str) -> Lower:
    """The filter value lower-cased by the database with the column's own function."""
    return FoldCase(Value(value))


def _case_exact(lookup: str, column: str, value: str) -> tuple[object, str, object]:
    """co/sw/ew that respect case on SQLite as on PostgreSQL: instr()/strpos() for co, and
    the value's length of prefix or suffix compared under the binary collation for sw/ew."""
    text = _text_of(column)
    if lookup == "contains":
        return StrIndex(text, Value(value)), "gt", 0
    cut = Left if lookup == "startswith" else Right
    return _binary(cut(text, len(value))), "exact", value


def _resolve(q: Q, fields: dict[str, Field]) -> tuple[Q, dict]:
    """Rewrite our pseudo-lookups (``__lower_contains`` …) to annotations + real lookups."""
    annotations: dict = {}
    columns = {f.column for f in fields.values()}
    lower_of = {c: f"_lower_{c.replace('__', '_')}" for c in columns}

    def rewrite(node: Q) -> Q:
        children = []
        for child in node.children:
            if isinstance(child, Q):
                children.append(rewrite(child))
                continue
            key, value = child
            for column in columns:
                prefix = f"{column}__"
                if not key.startswith(prefix):
                    continue
                lookup = key[len(prefix):]
                if lookup == "iexact_lower" or lookup.startswith("lower_"):
                    alias = lower_of[column]
                    annotations[alias] = FoldCase(_text_of(column))
                    real = "exact" if lookup == "iexact_lower" else lookup[len("lower_"):]
                    key, value = f"{alias}__{real}", _lowered(value)
                elif lookup.startswith("exact_"):
                    alias = f"_cs{len(annotations)}_{column.replace('__', '_')}"
                    annotations[alias], real, value = _case_exact(lookup[6:], column, value)
                    key = f"{alias}__{real}"
                elif lookup.startswith(("binary_", "binarylower_")):
                    kind, _, real = lookup.partition("_")
                    alias = f"_{kind}_{column.replace('__', '_')}"
                    expr = FoldCase(_text_of(column)) if kind == "binarylower" else _text_of(column)
                    annotations[alias] = _binary(expr)
                    key = f"{alias}__{real}"
                    if kind == "binarylower":
                        value = _lowered(value)
                break
            children.append((key, value))
        clone = Q(*children, _connector=node.connector, _negated=node.negated)
        return clone

    return rewrite(q), annotations


def apply_filter(qs: QuerySet, text: str, resource: str) -> QuerySet:
    """``qs`` narrowed by the SCIM filter ``text``; raises ``invalidFilter`` on anything we
    cannot honour exactly."""
    fields = USER_FIELDS if resource == "User" else GROUP_FIELDS
    schema = USER_SCHEMA if resource == "User" else GROUP_SCHEMA
    tree = _parse(text)
    q = _Transpiler(fields, schema).visit(tree)
    if resource == "User":
        qs = annotate_users(qs)
        fields = {**fields, **_HIDDEN_USER_COLUMNS}
    q, annotations = _resolve(q, fields)
    if annotations:
        qs = qs.annotate(**annotations)
    return qs.filter(q)

"""SCIM filter expressions → Django ``Q`` objects, scoped by the caller to one organization.

scim2-filter-parser parses; this module transpiles. Its own Django transpiler is not used
because it maps an unknown attribute to "no condition" (a silent match-all) and reads ``pr``
as ``IS NOT NULL`` while our empty values are ``""``. Here an unknown attribute or operator is
an ``invalidFilter`` error, case-insensitive attributes are compared on ``FoldCase()`` of both
sides (the database lowers the value too, Unicode-aware on SQLite as on PostgreSQL), the
case-exact externalId is never compared with SQLite's case-blind LIKE, and ordering
comparisons use the binary collation, so SQLite and PostgreSQL agree.

``emails`` is multi-valued: every filter on it (``emails``, ``emails.value``, ``emails.type``,
``emails.primary``, the valuePath ``emails[type eq "work" and value co "@x"]`` and Entra's
``emails[type eq "work"].value eq "…"``) becomes one ``EmailsMatch`` — "some address of the
list GET renders satisfies this" — evaluated in the database (see its docstring).

Empty operands: ``""`` is a prefix, suffix and substring of every string, so ``co ""``,
``sw ""`` and ``ew ""`` match every resource that *has* the attribute — exactly ``pr`` (an
empty value is no value: GET omits it). On a boolean or an id they stay ``invalidFilter``.
Operands are held to ``orgs.text``'s rule like stored values: one with a lone surrogate, a
control character or a bidi override cannot match anything stored and is ``invalidFilter``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import NotSupportedError, connection
from django.db.models import BooleanField, Case, Expression, F, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Collate, Left, Lower, Right, StrIndex
from django.utils.dateparse import parse_datetime
from scim2_filter_parser import ast
from scim2_filter_parser.lexer import SCIMLexer
from scim2_filter_parser.parser import SCIMParser

from orgs.models import GroupMember
from orgs.text import text_problem
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
    # own UUID), "member" (a group member's User id), "datetime" (meta.created/lastModified)
    kind: str = "ci"


# userName is the stored SCIM userName, or the account email for members added by hand.
_USER_NAME = Case(
    When(scim_user_name="", then=F("email")), default=F("scim_user_name")
)

USER_FIELDS: dict[str, Field] = {
    "id": Field("pk", "id"),
    "username": Field("_scim_user_name", "username"),
    "externalid": Field("external_id", "exact"),
    "name.givenname": Field("given_name"),
    "name.familyname": Field("family_name"),
    "displayname": Field("scim_profile__display_name"),
    "active": Field("is_active", "bool"),
    "meta.created": Field("created_at", "datetime"),
    "meta.lastmodified": Field("updated_at", "datetime"),
}
# Columns the userName equality reads directly (not SCIM names: filters cannot reach them).
_HIDDEN_USER_COLUMNS = {"_sun": Field("scim_user_name"), "_email": Field("email")}

GROUP_FIELDS: dict[str, Field] = {
    "id": Field("pk", "id"),
    "displayname": Field("display_name"),
    "externalid": Field("external_id", "exact"),
    # Entra asks "is this user a member?" as id eq "<gid>" and members[value eq "<uid>"].
    "members": Field("pk", "member"),
    "members.value": Field("pk", "member"),
    "meta.created": Field("created_at", "datetime"),
    "meta.lastmodified": Field("updated_at", "datetime"),
}


# Multi-valued complex attributes filtered element by element, and how each sub-attribute is
# compared: "text" (caseExact false) or "flag" (boolean).
USER_LISTS: dict[str, dict[str, str]] = {
    "emails": {"value": "text", "type": "text", "primary": "flag"},
}
_LIST_OPERATORS = ("eq", "ne", "co", "sw", "ew", "pr")


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
    def __init__(self, fields: dict[str, Field], schema: str,
                 lists: dict[str, dict[str, str]] | None = None) -> None:
        self.fields = fields
        self.schema = schema.lower()
        self.lists = lists or {}

    def visit(self, node: ast.AST, namespace: str | None = None) -> Q:
        if isinstance(node, ast.Filter):
            if node.namespace is not None:
                # attr[subfilter]: the subfilter's attributes are sub-attributes of attr.
                if namespace is not None:
                    raise invalid_filter("Nested attribute filters are not supported.")
                namespace = self._attr_name(node.namespace, allow_sub=False)
                if namespace in self.lists:
                    q = _list_match(namespace, self._element(node.expr, namespace))
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
        _check_operand(node)
        if isinstance(node.attr_path.attr_name, ast.Filter) and namespace is None:
            return self._value_path_comparison(node)
        name = self._attr_name(node.attr_path)
        if namespace is None and name.split(".")[0] in self.lists:
            # emails op "v" is emails.value op "v"; emails.type … is emails[type …].
            list_name, _, sub = name.partition(".")
            return _list_match(list_name, self._leaf(list_name, sub or "value", node))
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
        return _list_match(list_name, ("and", condition, leaf))

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
        _check_operand(node)
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


def _check_operand(node: ast.AttrExpr) -> None:
    value = node.comp_value.value if node.comp_value is not None else None
    problem = text_problem(value) if isinstance(value, str) else None
    if problem is not None:
        raise invalid_filter(f"A value in the filter {problem}.")


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
            Q(scim_user_name="") & Q(email__iexact_lower=value)
        )
    if field.kind == "bool":
        return Q(**{field.column: _bool(value)})
    if field.kind == "datetime":
        return Q(**{field.column: _datetime(value)})
    if field.kind == "exact":
        return Q(**{field.column: value})
    return Q(**{f"{field.column}__iexact_lower": value})


def _datetime(value: object) -> datetime:
    """A filter's dateTime value (RFC 7643 §2.3.5, xsd:dateTime); no offset means UTC."""
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:  # well-formed but impossible, such as month 13
        parsed = None
    if parsed is None:
        raise invalid_filter(f"{value!r} is not a dateTime such as \"2026-01-31T12:00:00Z\".")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _text(lookup: str, op: str) -> Callable[[Field, str], Q]:
    def build(field: Field, value: str) -> Q:
        if field.kind == "bool":
            raise invalid_filter(f"The operator {op!r} does not apply to booleans.")
        if field.kind == "datetime":
            raise invalid_filter(f"The operator {op!r} does not apply to dateTimes.")
        _only_equality(field, op)
        if value == "":  # see the module docstring
            return _present(field, value)
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
        if field.kind == "datetime":
            return Q(**{f"{field.column}__{lookup}": _datetime(value)})
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
    if field.kind in ("bool", "datetime"):
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
            if not isinstance(child, tuple):  # an expression (EmailsMatch): nothing to rewrite
                children.append(child)
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


# --- emails: "some address of the list GET renders matches" ---------------------------------


@dataclass(frozen=True)
class _Sql:
    sql: str
    params: tuple = ()


def _fmt(template: str, *parts: _Sql) -> _Sql:
    """``template`` with each ``{}`` replaced by a part, the parts' params kept in order."""
    return _Sql(template.format(*(p.sql for p in parts)),
                tuple(x for p in parts for x in p.params))


class _Dialect:
    """The few SQL spellings SQLite and PostgreSQL do not share. Every accessor is NOT NULL
    (a missing or non-string sub-attribute reads as ``""``, a missing primary as false), so
    ``not`` and ``ne`` never meet SQL's unknown."""

    def __init__(self, vendor: str, attributes: _Sql) -> None:
        if vendor not in ("sqlite", "postgresql"):
            raise NotSupportedError(f"SCIM emails filters are not written for {vendor}.")
        self.sqlite = vendor == "sqlite"
        self.a = attributes

    def has_list(self) -> _Sql:
        """The profile has an ``emails`` key (GET then renders that list, else the account
        email); false when the member has no SCIM profile (the LEFT JOIN found no row)."""
        if self.sqlite:
            return _fmt("json_type({}, '$.emails') IS NOT NULL", self.a)
        return _fmt("({} -> 'emails') IS NOT NULL", self.a)

    def elements(self) -> _Sql:
        """FROM … AS scim_email, only when ``emails`` is an array (never an error if not)."""
        if self.sqlite:
            return _fmt("json_each({}, '$.emails') AS scim_email "
                        "WHERE json_type({}, '$.emails') = 'array'", self.a, self.a)
        return _fmt("jsonb_array_elements(CASE WHEN jsonb_typeof({} -> 'emails') = 'array' "
                    "THEN {} -> 'emails' ELSE '[]'::jsonb END) AS scim_email(elem) WHERE 1 = 1",
                    self.a, self.a)

    def text(self, sub: str) -> _Sql:
        if self.sqlite:
            # Read through the element's full path in the document: json_extract on the
            # element itself would fail on a non-object element (its value is not JSON).
            path = f"scim_email.fullkey || '.{sub}'"
            return _fmt(f"CASE WHEN json_type({{}}, {path}) = 'text' "
                        f"THEN json_extract({{}}, {path}) ELSE '' END", self.a, self.a)
        return _Sql(f"CASE WHEN jsonb_typeof(scim_email.elem -> '{sub}') = 'string' "
                    f"THEN scim_email.elem ->> '{sub}' ELSE '' END")

    def flag(self, sub: str, present: bool) -> _Sql:
        """1 when the sub-attribute is ``true`` (or, for ``pr``, any boolean), else 0."""
        if self.sqlite:
            values = "('true', 'false')" if present else "('true')"
            return _fmt(f"CASE WHEN json_type({{}}, scim_email.fullkey || '.{sub}') IN {values} "
                        "THEN 1 ELSE 0 END", self.a)
        test = (f"jsonb_typeof(scim_email.elem -> '{sub}') = 'boolean'" if present
                else f"scim_email.elem -> '{sub}' = 'true'::jsonb")
        return _Sql(f"CASE WHEN {test} THEN 1 ELSE 0 END")

    def fold(self, text: _Sql) -> _Sql:
        return _fmt("scim_fold({})" if self.sqlite else "LOWER({})", text)

    def param(self, value: str) -> _Sql:
        return _Sql("%s" if self.sqlite else "CAST(%s AS text)", (value,))

    def contains(self, haystack: _Sql, needle: _Sql) -> _Sql:
        return _fmt("instr({}, {}) > 0" if self.sqlite else "strpos({}, {}) > 0",
                    haystack, needle)


class _AccountEmail:
    """The element GET renders when the profile keeps no list:
    ``{"value": <account email>, "type": "work", "primary": true}``."""

    def __init__(self, email: _Sql) -> None:
        self.email = email

    def text(self, sub: str) -> _Sql:
        return _fmt("COALESCE({}, '')", self.email) if sub == "value" else _Sql("'work'")

    def flag(self, sub: str, present: bool) -> _Sql:
        return _Sql("1")


class EmailsMatch(Expression):
    """True when some address of the member's ``emails`` *as GET renders them* satisfies
    ``predicate``; built by ``_Transpiler._element``/``_leaf`` from the filter.

    GET renders ``scim.ScimUserProfile.attributes["emails"]`` when the profile has that key
    (the IdP's list, kept only when it differs from the account email), else the account
    email as ``{"value": email, "type": "work", "primary": true}``. So does this, in one SQL
    expression of the list query (no extra query, no filtering in Python)::

        CASE WHEN <profile has "emails">
             THEN EXISTS (SELECT 1 FROM <its elements> WHERE <predicate on the element>)
             ELSE <predicate on the account email> END

    The elements come from ``json_each`` on SQLite and ``jsonb_array_elements`` on
    PostgreSQL, the only non-portable part, kept to ``_Dialect``; both spell the comparisons
    alike (both sides folded by the database, as for the other attributes; ``co`` by
    instr/strpos and ``sw``/``ew`` by substr, not LIKE, so ``%`` and ``_`` are plain text).
    ``value`` and ``type`` are caseExact false; ``primary`` is a boolean (absent = false).
    Sub-attribute names are fixed by ``USER_LISTS``; filter values are always parameters.
    """

    output_field = BooleanField()

    def __init__(self, predicate: tuple) -> None:
        super().__init__()
        self.predicate = predicate
        self.attributes = F("scim_profile__attributes")
        self.email = F("email")

    def get_source_expressions(self) -> list:
        return [self.attributes, self.email]

    def set_source_expressions(self, exprs: list) -> None:
        self.attributes, self.email = exprs

    def as_sql(self, compiler, connection):  # noqa: ANN001, ANN201
        dialect = _Dialect(connection.vendor, _Sql(*_compiled(compiler, self.attributes)))
        account = _AccountEmail(_Sql(*_compiled(compiler, self.email)))
        found = _fmt("CASE WHEN {} THEN EXISTS (SELECT 1 FROM {} AND ({})) ELSE ({}) END",
                     dialect.has_list(), dialect.elements(),
                     _predicate(self.predicate, dialect, dialect),
                     _predicate(self.predicate, account, dialect))
        return f"({found.sql})", list(found.params)


def _compiled(compiler, expression) -> tuple[str, tuple]:  # noqa: ANN001
    sql, params = compiler.compile(expression)
    return sql, tuple(params)


def _predicate(node: tuple, element: _Dialect | _AccountEmail, dialect: _Dialect) -> _Sql:
    op = node[0]
    if op == "not":
        return _fmt("NOT ({})", _predicate(node[1], element, dialect))
    if op in ("and", "or"):
        return _fmt(f"({{}}) {op.upper()} ({{}})", _predicate(node[1], element, dialect),
                    _predicate(node[2], element, dialect))
    _, sub, kind, op, value = node
    if kind == "flag":
        flag = element.flag(sub, present=op == "pr")
        if op == "pr":
            return _fmt("{} = 1", flag)
        return _fmt(f"{{}} {'=' if op == 'eq' else '<>'} {int(value)}", flag)
    text = element.text(sub)
    if op == "pr":
        return _fmt("{} <> ''", text)
    a, b = dialect.fold(text), dialect.fold(dialect.param(value))
    if op == "eq":
        return _fmt("{} = {}", a, b)
    if op == "ne":
        return _fmt("{} <> {}", a, b)
    if op == "co":
        return dialect.contains(a, b)
    if op == "sw":
        return _fmt("substr({}, 1, length({})) = {}", a, b, b)
    return _fmt("(length({}) >= length({}) AND substr({}, length({}) - length({}) + 1) = {})",
                a, b, a, a, b, b)


def _list_match(list_name: str, predicate: tuple) -> Q:
    if list_name != "emails":  # the only entry of USER_LISTS
        raise invalid_filter(f"Filtering on {list_name!r} is not supported.")
    return Q(EmailsMatch(predicate))


def apply_filter(qs: QuerySet, text: str, resource: str) -> QuerySet:
    """``qs`` narrowed by the SCIM filter ``text``; raises ``invalidFilter`` on anything we
    cannot honour exactly."""
    fields = USER_FIELDS if resource == "User" else GROUP_FIELDS
    schema = USER_SCHEMA if resource == "User" else GROUP_SCHEMA
    tree = _parse(text)
    lists = USER_LISTS if resource == "User" else {}
    q = _Transpiler(fields, schema, lists).visit(tree)
    if resource == "User":
        qs = annotate_users(qs)
        fields = {**fields, **_HIDDEN_USER_COLUMNS}
    q, annotations = _resolve(q, fields)
    if annotations:
        qs = qs.annotate(**annotations)
    return qs.filter(q)

"""Filters on ``emails``, a multi-valued complex attribute: "some address of the list GET
renders satisfies this", evaluated in the database as one SQL expression (``EmailsMatch``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import NotSupportedError
from django.db.models import BooleanField, Expression, F, Q

from orgs.models import Membership
from orgs.text import fold
from scim.models import ScimUserEmail


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
    ``predicate``; built by ``Transpiler._element``/``_leaf`` from the filter.

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


def _required_keys(node: tuple) -> set[str] | None:
    """The folded values one of which an element must have for ``node`` to hold (``value eq``
    somewhere it is required), or None when the predicate does not pin the value."""
    op = node[0]
    if op == "cmp":
        _, sub, _, cmp, value = node
        return {fold(value)} if sub == "value" and cmp == "eq" and value else None
    if op == "and":
        left, right = _required_keys(node[1]), _required_keys(node[2])
        if left is None or right is None:
            return left if right is None else right
        return left & right  # one element must satisfy both
    if op == "or":
        left, right = _required_keys(node[1]), _required_keys(node[2])
        return None if left is None or right is None else left | right
    return None  # "not": anything but the value


def email_candidates(predicate: tuple, organization_id: object = None) -> Q | None:
    """The members that can satisfy an emails predicate that pins the value (``emails.value
    eq``, Entra's ``emails[type eq "work"].value eq``), found through indexes: those known by
    that email (``Membership.email_key``) and those whose profile list has it
    (``scim.ScimUserEmail``). ``EmailsMatch`` then decides on these few exactly as before.
    None when the predicate does not pin the value (the filter then reads every member)."""
    keys = _required_keys(predicate)
    if keys is None:
        return None
    known = Membership.objects.filter(email_key__in=keys)
    if organization_id is not None:
        known = known.filter(organization_id=organization_id)
    listed = ScimUserEmail.objects.filter(value_key__in=keys)
    return Q(pk__in=known.order_by().values("pk").union(
        listed.order_by().values("membership_id"), all=True))

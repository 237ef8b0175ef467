"""SCIM filter expressions → Django ``Q`` objects, scoped by the caller to one organization.

scim2-filter-parser parses; this module transpiles. Its own Django transpiler is not used
because it maps an unknown attribute to "no condition" (a silent match-all) and reads ``pr``
as ``IS NOT NULL`` while our empty values are ``""``. Here an unknown attribute or operator is
an ``invalidFilter`` error, case-insensitive attributes without a lookup key are compared on
``FoldCase()`` of both sides (the database lowers the value too, Unicode-aware on SQLite as on
PostgreSQL), the
case-exact externalId is never compared with SQLite's case-blind LIKE, and ordering
comparisons use the binary collation, so SQLite and PostgreSQL agree.

Case-insensitive attributes with a lookup key (userName, displayName; ``orgs.lookup_keys``)
are compared on the stored key with the value folded by the same Python function
(``orgs.text.fold``), so ``eq`` is an indexed ``=``; externalId ``eq`` goes through its key's
index and then compares exactly.

``emails`` is multi-valued: every filter on it (``emails``, ``emails.value``, ``emails.type``,
``emails.primary``, the valuePath ``emails[type eq "work" and value co "@x"]`` and Entra's
``emails[type eq "work"].value eq "…"``) becomes one ``EmailsMatch`` — "some address of the
list GET renders satisfies this" — evaluated in the database (see its docstring). When the
filter pins the address (``value eq``), the members that can match are first found through
indexes (``email_candidates``), so the lookup reads those few rows only.

Empty operands: ``""`` is a prefix, suffix and substring of every string, so ``co ""``,
``sw ""`` and ``ew ""`` match every resource that *has* the attribute — exactly ``pr`` (an
empty value is no value: GET omits it). On a boolean or an id they stay ``invalidFilter``.
Operands are held to ``orgs.text``'s rule like stored values: one with a lone surrogate, a
control character or a bidi override cannot match anything stored and is ``invalidFilter``.
"""

from __future__ import annotations

from django.db.models import QuerySet
from scim2_filter_parser import ast

from scim.filters.compile import GROUP_FIELDS, USER_FIELDS, USER_LISTS, Transpiler
from scim.grammar import operand, parse_filter
from scim.schemas import GROUP_SCHEMA, USER_SCHEMA


def apply_filter(
    qs: QuerySet, text: str, resource: str, organization_id: object = None
) -> QuerySet:
    """``qs`` narrowed by the SCIM filter ``text``; raises ``invalidFilter`` on anything we
    cannot honour exactly. ``organization_id`` (``qs``'s organization) scopes the index
    lookups a filter makes in other tables."""
    if resource == "User":
        q = Transpiler(USER_FIELDS, USER_SCHEMA, USER_LISTS, organization_id).visit(
            parse_filter(text))
    else:
        q = Transpiler(GROUP_FIELDS, GROUP_SCHEMA).visit(parse_filter(text))
    return qs.filter(q)


def keyed_equality(text: str, resource: str) -> tuple[str, str] | None:
    """``(attribute, value)`` when ``text`` is ``attribute eq "value"`` with a non-empty value
    on an attribute compared through its lookup key (userName, externalId, displayName):
    the lookups IdPs repeat, whose query has the same shape for every value (so it can be
    prepared: ``config.prepared_queries``). None for any other filter; a filter
    ``apply_filter`` would refuse raises the same error here."""
    tree = parse_filter(text)
    if not isinstance(tree, ast.Filter) or tree.negated or tree.namespace is not None:
        return None
    node = tree.expr
    if not isinstance(node, ast.AttrExpr) or node.value.lower() != "eq":
        return None
    path = node.attr_path
    if not isinstance(path.attr_name, str) or path.sub_attr is not None or path.uri:
        return None
    field = (USER_FIELDS if resource == "User" else GROUP_FIELDS).get(path.attr_name.lower())
    value = operand(node)
    if field is None or field.key is None or not isinstance(value, str) or not value:
        return None
    return path.attr_name.lower(), value

"""``field__any=[…]``: membership in a list of values, passed to the database as ONE parameter,
or in what a subquery selects; either way looked up through the column's index.

``__in`` writes one placeholder per value, so its SQL changes with the list's length, and a list
of 100 ids is 100 parameters: psycopg re-parses a statement of more than 50 parameters on every
run (it caches only smaller ones), and a prepared query needs a version per length. Here the
list is a single parameter whatever its length:

- PostgreSQL: ``col = ANY(ARRAY(SELECT unnest(%s::uuid[])))`` with the array as its text,
  ``{hex,hex,…}``, for UUIDs (psycopg's dumper of a Python list of UUIDs costs ~1.5 µs a
  value, the text ~0.2 µs; PostgreSQL parses it in C), else the same with a list;
- SQLite: ``col IN (SELECT value FROM json_each(%s))`` with a JSON array of the stored forms.

A subquery (``pk__any=queryset`` or a ``RawSQL``) is ``col = ANY(ARRAY(subquery))`` on
PostgreSQL, ``col IN (subquery)`` on SQLite.

Why the ``ARRAY(…)`` on PostgreSQL: it hides how many values there are from the planner. Told
that a page's 100 ids (or a page's ``IN (SELECT … LIMIT 100 OFFSET …)``) are wanted, it
weighs 100 index probes against reading the whole table, every organization's rows, and
chooses the table whenever it holds fewer than some tens of thousands of rows: measured,
a sequential scan of ``orgs_groupmember`` (6,000 rows: 0.4–1.5 ms) for a page's groups where
the index takes 0.1 ms, and of ``orgs_membership`` for a deep page (0.5–1.5 ms at a few
thousand members against 0.2 ms; 24–33 ms at 100,000 in the generic plan of the prepared
statement). Behind ``ARRAY(…)`` it expects a handful of values and probes the index, at any
size of the tables; the lists it gets are a request's, never a table's.

Registered on UUID fields and on foreign keys (``membership_id__any``); used by the reads of
``config.prepared_queries`` that take a list of ids, and by deep pages.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from django.db.models import ForeignKey, Lookup, UUIDField
from django.db.models.fields.tuple_lookups import TupleGreaterThan
from django.db.models.lookups import GreaterThan


def uuid_array(values: Sequence[Any]) -> str | None:
    """PostgreSQL's parameter for a list of UUIDs: the array as its text (``{hex,hex}``), or
    None unless every value is a UUID."""
    if all(isinstance(v, uuid.UUID) for v in values):
        return "{" + ",".join([v.hex for v in values]) + "}"
    return None


def uuid_json(values: Sequence[Any]) -> str:
    """SQLite's parameter for a list of UUIDs: a JSON array of their hex, the stored form."""
    return json.dumps([v.hex for v in values])


class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value: Any, connection: Any) -> tuple[str, list[Any]]:
        field = self.lhs.output_field
        values = [field.get_db_prep_value(v, connection, prepared=False) for v in value]
        if connection.vendor == "postgresql":
            text = uuid_array(values)
            return ("%s::uuid[]", [text]) if text is not None else ("%s", [values])
        return "%s", [json.dumps(values)]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if hasattr(self.rhs, "as_sql"):  # a subquery
            sub, sub_params = compiler.compile(self.rhs)  # "(SELECT …)", as a subquery
            if not (sub.startswith("(") and sub.endswith(")")):
                sub = f"({sub})"
            if connection.vendor == "postgresql":
                return f"{lhs} = ANY(ARRAY{sub})", [*lhs_params, *sub_params]
            return f"{lhs} IN {sub}", [*lhs_params, *sub_params]
        rhs, rhs_params = self.get_db_prep_lookup(self.rhs, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(ARRAY(SELECT unnest({rhs})))", [*lhs_params, *rhs_params]
        # lhs is the compiled column; the values are the one parameter
        return f"{lhs} IN (SELECT value FROM json_each(%s))", [*lhs_params, *rhs_params]  # noqa: S608


UUIDField.register_lookup(AnyOf)
ForeignKey.register_lookup(AnyOf)


class RowAfter(TupleGreaterThan):
    """``(a, b) > (x, y)``, written as a row value on SQLite too (it has them since 3.15),
    where Django writes ``a > x OR (a = x AND b > y)``. Given the OR with bound values,
    SQLite's planner seeks the (organization, created_at, id) index only to the organization
    and walks all of its entries up to the row wanted: a cursor page deep in a list cost as
    much as the walk to it. Given the row value, it seeks to the row. PostgreSQL gets the row
    value either way."""

    def as_sqlite(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        # GreaterThan's own SQL, ``lhs > rhs``, both sides compiled as row values; Django's
        # tuple lookup would take its OR fallback, since SQLite lacks supports_tuple_lookups.
        return GreaterThan.as_sql(self, compiler, connection)

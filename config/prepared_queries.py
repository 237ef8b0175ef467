"""Querysets compiled to SQL once per database connection, then run with new values.

Turning a queryset into SQL costs Django's ORM about 0.5–1 ms of CPU for the member queries
SCIM runs on every lookup, several times what PostgreSQL spends answering them. The lookups an
IdP repeats thousands of times (``userName eq``, a member by id, a first page, a page's groups)
have a fixed shape: only their values change. ``prepared`` builds such a queryset once with
stand-in values, keeps its SQL, and afterwards only puts the new values in place and lets the
ORM turn the rows into objects exactly as it would (``select_related`` included).

Safety: the queryset is built and compiled twice, with two different sets of stand-ins. The SQL
must be the same text, every parameter that differs must be one argument (as is, or as Django
or the builder turned it: ``str``, a UUID's hex, ``orgs.text.fold``, a list of UUIDs as
PostgreSQL's array text or SQLite's JSON, a datetime as SQLite's UTC text), and every argument
must appear. Anything else (a builder whose SQL depends on the values, a transformation not known
here) is never cached: that key runs through the ORM as usual. ``key`` must name everything
else the builder's SQL depends on (a page size, say); LIMIT and OFFSET are part of the SQL.
"""

from __future__ import annotations

import copy
import logging
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

from config.lookups import uuid_array, uuid_json
from orgs.text import fold

logger = logging.getLogger(__name__)

MAX_KEYS = 256  # per connection, the least recently used go first

_NAMESPACE = uuid.UUID("6d1c1f2e-8a4b-4c1e-9f3a-0b7e5d2c4a11")


def _stand_in(kind: type, argument: int, round_: str) -> Any:
    """A value for argument ``argument`` of the ``round_`` compilation, unlike any other;
    strings in mixed case so that folding shows; a list (of UUIDs, for ``field__any``, one
    parameter whatever its length: ``config.lookups``) of two; an aware datetime; an integer
    (a raw statement's LIMIT or OFFSET: the ORM's own are written into its SQL)."""
    if kind is uuid.UUID:
        return uuid.uuid5(_NAMESPACE, f"{argument}-{round_}")
    if kind is str:
        return f"Prepared-Stand-In-{argument}-{round_}"
    if kind is list:
        return [uuid.uuid5(_NAMESPACE, f"{argument}-{round_}-{i}") for i in range(2)]
    if kind is datetime:
        return datetime(2001, 2, 3, 4, 5, 6, argument * 10 + (1 if round_ == "A" else 2),
                        tzinfo=UTC)
    if kind is int:
        return 7_000_003 + argument * 10 + (0 if round_ == "A" else 5)
    raise TypeError(f"prepared queries take UUIDs, strings, lists of UUIDs, datetimes and "
                    f"integers, not {kind.__name__}")


def _naive_utc_text(value: Any) -> str | None:
    """An aware datetime as SQLite's backend passes it (its connection's time zone is UTC)."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        return None
    return str(value.astimezone(UTC).replace(tzinfo=None))


_TRANSFORMS: tuple[Callable[[Any], Any], ...] = (
    lambda v: v,
    str,
    lambda v: v.hex if isinstance(v, uuid.UUID) else None,
    lambda v: fold(v) if isinstance(v, str) else None,
    # a list of UUIDs as field__any passes it (config.lookups): SQLite's JSON, PostgreSQL's text
    lambda v: uuid_json(v) if isinstance(v, list) else None,
    lambda v: uuid_array(v) if isinstance(v, list) else None,
    _naive_utc_text,
)


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _accepts(arg: Any, kind: type) -> bool:
    if kind is list:
        return isinstance(arg, list) and all(isinstance(v, uuid.UUID) for v in arg)
    if kind is datetime:
        return isinstance(arg, datetime) and arg.tzinfo is not None
    if kind is int:
        return isinstance(arg, int) and not isinstance(arg, bool)
    return isinstance(arg, kind)


@dataclass
class _Compiled:
    queryset: QuerySet
    compiler: Any
    sql: str
    params: tuple
    slots: list[tuple[int, int, Callable[[Any], Any]]]  # (param position, argument, transform)

    def __post_init__(self) -> None:
        # What turns each column into a Python value, worked out once, not on every run.
        selected = [column[0] for column in self.compiler.select[:self.compiler.col_count]]
        self.converters = self.compiler.get_converters(selected)

    def run(self, args: Sequence[Any]) -> list:
        params = list(self.params)
        for position, argument, transform in self.slots:
            params[position] = transform(args[argument])
        compiler = copy.copy(self.compiler)
        compiler.as_sql = lambda *a, **k: (self.sql, tuple(params))
        compiler.get_converters = lambda expressions: self.converters
        qs = self.queryset._chain()
        qs.query.get_compiler = lambda *a, **k: compiler  # this run's SQL, the ORM's rows
        return list(qs)


_UNCACHEABLE = object()
_entries: weakref.WeakKeyDictionary[Any, OrderedDict[Hashable, Any]] = (
    weakref.WeakKeyDictionary())


def prepared(key: Hashable, build: Callable[..., QuerySet], args: Sequence[Any],
             kinds: Sequence[type]) -> list:
    """``list(build(*args))``, with the SQL compiled once per connection for ``key``.
    ``kinds[i]`` is the type of ``args[i]`` (``uuid.UUID``, ``str``, ``list`` for a list of
    UUIDs that the builder passes to ``field__any``, ``datetime`` for an aware one, or
    ``int``)."""
    conn = connections[DEFAULT_DB_ALIAS]
    entries = _entries.get(conn)
    if entries is None:
        entries = _entries[conn] = OrderedDict()
    entry = entries.get(key)
    if entry is None:
        entry = entries[key] = _compile(key, build, kinds, conn)
        if len(entries) > MAX_KEYS:
            entries.popitem(last=False)
    else:
        entries.move_to_end(key)
    if entry is _UNCACHEABLE or not all(map(_accepts, args, kinds)):
        return list(build(*args))  # a value of another type than declared: the ORM decides
    return entry.run(args)


def _compile(key: Hashable, build: Callable[..., QuerySet], kinds: Sequence[type],
             conn: Any) -> Any:
    first = [_stand_in(kind, i, "A") for i, kind in enumerate(kinds)]
    second = [_stand_in(kind, i, "B") for i, kind in enumerate(kinds)]
    queryset = build(*first)
    compiler = queryset.query.get_compiler(connection=conn)
    sql, params = compiler.as_sql()
    sql_2, params_2 = build(*second).query.get_compiler(connection=conn).as_sql()
    slots = _slots(params, params_2, first, second) if sql == sql_2 else None
    if slots is None or {argument for _, argument, _ in slots} != set(range(len(kinds))):
        logger.warning("Query %r is not prepared: its SQL does not follow its arguments", key)
        return _UNCACHEABLE
    return _Compiled(queryset, compiler, sql, tuple(params), slots)


def _slots(params: Sequence[Any], params_2: Sequence[Any], first: list, second: list
           ) -> list[tuple[int, int, Callable[[Any], Any]]] | None:
    if len(params) != len(params_2):
        return None
    # Every value an argument's first stand-in can become, once: a lookup per parameter.
    becomes: dict[tuple[type, Any], list[tuple[int, Callable[[Any], Any]]]] = {}
    for argument, value in enumerate(first):
        for transform in _TRANSFORMS:
            made = transform(value)
            if made is not None:
                becomes.setdefault((type(made), _hashable(made)), []).append(
                    (argument, transform))
    slots = []
    for position, (one, two) in enumerate(zip(params, params_2, strict=True)):
        if type(one) is type(two) and one == two:
            continue  # a constant of the query
        try:
            candidates = becomes.get((type(one), _hashable(one)), [])
        except TypeError:  # an unhashable parameter is no stand-in
            return None
        found = [(argument, transform) for argument, transform in candidates
                 if _same(transform(second[argument]), two)]
        if len({argument for argument, _ in found}) != 1:
            return None  # no argument, or several, could have given this value
        slots.append((position, *found[0]))
    return slots


def _same(a: Any, b: Any) -> bool:
    return a is not None and type(a) is type(b) and a == b

"""SQLite, told what Roster's data looks like (``make run`` and the test suite run on SQLite).

Two things SQLite cannot know by itself:

- **Bound variables.** Django sizes bulk INSERTs for SQLite's old default of 999 variables a
  statement; SQLite has allowed 32766 since 3.32, and the connection says what it allows.
  With the real limit a group push of a thousand members is one INSERT, as on PostgreSQL.
- **Planner statistics.** Until ``ANALYZE`` has run, SQLite guesses that ``organization_id =
  ?`` matches about ten rows, so for ``userName eq "…"`` it walks the organization's rows in
  list order (no sort needed) instead of looking the key up: every lookup then reads the whole
  organization. After each ``migrate``, tables that have no statistics yet get ones that
  describe the shape Roster's data has (many rows per organization, about one per key);
  ``ANALYZE`` on a real database replaces them with measured ones.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from django.db import connections

# Average rows per distinct value of a leading index column; any other column (a key, an id,
# a folded name) is taken as about one row per value.
SPREAD = {"organization_id": 20_000, "group_id": 500, "membership_id": 5, "user_id": 2,
          "created_at": 2, "updated_at": 2, "action": 1_000}
ROWS = 100_000


def tune_connection(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created``: use the connection's real variable limit."""
    if connection.vendor == "sqlite":
        connection.features.max_query_params = connection.connection.getlimit(
            sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER
        )


def _index_stat(cursor: Any, index: str, unique: bool) -> str:
    columns = [row[2] for row in cursor.execute(f'PRAGMA index_info("{index}")')]
    spread, out = ROWS, [str(ROWS)]
    for position, column in enumerate(columns, start=1):
        spread = min(spread, SPREAD.get(column, 1))
        out.append("1" if unique and position == len(columns) else str(spread))
    return " ".join(out)


def write_planner_statistics(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """``post_migrate``: statistics for the tables that have none (see the module docstring)."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sqlite_schema")  # creates sqlite_stat1 when missing
        known = {row[0] for row in cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")}
        tables = [row[0] for row in cursor.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )]
        rows = []
        for table in (t for t in tables if t not in known):
            rows.append((table, None, str(ROWS)))
            for _, index, unique, *_ in list(cursor.execute(f'PRAGMA index_list("{table}")')):
                rows.append((table, index, _index_stat(cursor, index, bool(unique))))
        cursor.executemany("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (%s, %s, %s)", rows)
        cursor.execute("ANALYZE sqlite_schema")  # load them into this connection's planner

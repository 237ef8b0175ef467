"""PostgreSQL ``timestamptz`` values turned into Python datetimes by psycopg's C loader.

Django registers its own loader for ``timestamptz`` (``psycopg_any.BaseTzLoader``): a Python
subclass of psycopg's *Python* loader, which parses the text and then stamps Django's time zone
on the result. It costs about 4 µs a value; a page of 100 SCIM Users carries 200 of them, and
every SCIM request reads a few more with its token. psycopg's C loader (``psycopg[binary]``)
does the same parse in about 0.2 µs, and when the session's time zone is UTC, which is what
Django sets with ``USE_TZ`` (``ensure_timezone``), its result is already what Django's loader
returns: an aware datetime whose ``tzinfo`` is ``datetime.timezone.utc``.

``install`` (on ``connection_created``) registers ``UtcTimestamptzLoader`` on such a
connection. It keeps Django's contract: a ``timezone`` attribute equal to the connection's, so
Django's ``create_cursor`` sees nothing to change, and where the session is not in UTC it
stamps the time zone the way Django's loader does.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from psycopg.adapt import Loader

try:
    from psycopg._tz import get_tzinfo
    from psycopg_binary._psycopg import TimestamptzLoader as _CTimestamptzLoader
except ImportError:  # psycopg without its C build: Django's loader stays
    _CTimestamptzLoader = None

UTC = dt.UTC


class UtcTimestamptzLoader(Loader):
    timezone = UTC  # what Django's create_cursor compares with the connection's

    def __init__(self, oid: int, context: Any = None) -> None:
        super().__init__(oid, context)
        self._c_load = _CTimestamptzLoader(oid, context).load
        pgconn = self.connection.pgconn if self.connection is not None else None
        if get_tzinfo(pgconn) is UTC:
            # The C result is already Django's: call it directly (psycopg reads the
            # loader's ``load`` once per result, so this is the method it calls).
            self.load = self._c_load  # type: ignore[method-assign]

    def load(self, data: Any) -> dt.datetime:
        return self._c_load(data).replace(tzinfo=self.timezone)  # Django's own stamping


def install(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created``: use the C loader on a PostgreSQL connection whose Django time
    zone is UTC (``USE_TZ`` without a database ``TIME_ZONE``)."""
    if (connection.vendor != "postgresql" or _CTimestamptzLoader is None
            or connection.timezone is not UTC):
        return
    connection.connection.adapters.register_loader("timestamptz", UtcTimestamptzLoader)

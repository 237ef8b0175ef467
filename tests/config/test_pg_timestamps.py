"""PostgreSQL timestamps are loaded by psycopg's C loader (``config.pg_timestamps``) and come
out exactly as Django's own loader gives them."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader

from config.pg_timestamps import UtcTimestamptzLoader
from orgs.models import Membership
from tests.factories import MembershipFactory

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql",
                                reason="a PostgreSQL driver's loader")

VALUES = [
    "2026-11-30 18:30:37.372573+00", "2001-02-03 04:05:06+05:30", "1999-12-31 23:59:59-08",
    "2024-02-29 12:00:00+00", "0001-01-01 00:00:00+00", "9999-12-31 23:59:59.999999+00",
    "2026-03-29 01:30:00+01",
]


def _loaded(conn: psycopg.Connection) -> list[object]:
    """Each value as loaded, or the error's type (year 10000 in Paris is past Python's)."""
    out: list[object] = []
    for value in VALUES:
        try:
            out.append(conn.execute("SELECT %s::timestamptz", [value]).fetchone()[0])
        except psycopg.DataError as error:
            out.append(type(error))
    return out


@pytest.mark.django_db
def test_the_orms_timestamps_come_from_the_c_loader_in_utc():
    connection.ensure_connection()
    assert connection.connection.adapters.get_loader(1184, 0) is UtcTimestamptzLoader
    member = MembershipFactory()
    loaded = Membership.objects.get(pk=member.pk)
    assert loaded.created_at == member.created_at
    assert loaded.created_at.tzinfo is dt.UTC
    with connection.cursor() as cursor:
        cursor.execute("SELECT '2001-02-03 04:05:06.5+05:30'::timestamptz, NULL::timestamptz")
        assert cursor.fetchone() == (dt.datetime(2001, 2, 2, 22, 35, 6, 500000, dt.UTC),
                                     None)


@pytest.mark.parametrize("session_zone", ["UTC", "Europe/Paris"])
def test_every_value_is_what_djangos_loader_gives(session_zone):
    """Outside Django's UTC session too (the stamping path), the values are Django's."""
    settings = connection.settings_dict
    with psycopg.connect(host=settings["HOST"] or "127.0.0.1", port=settings["PORT"] or 5432,
                         user=settings["USER"], password=settings["PASSWORD"] or None,
                         dbname="postgres") as conn:
        conn.execute(f"SET TIME ZONE '{session_zone}'")
        conn.adapters.register_loader("timestamptz", UtcTimestamptzLoader)
        ours = _loaded(conn)
        register_tzloader(dt.UTC, conn)
        django = _loaded(conn)
    assert ours == django
    datetimes = [v for v in ours if isinstance(v, dt.datetime)]
    assert len(datetimes) >= len(VALUES) - 1
    assert {v.tzinfo for v in datetimes} == {dt.UTC}
    assert [str(v) for v in ours] == [str(v) for v in django]

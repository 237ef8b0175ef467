"""On SQLite (``make run``), a transaction that reads and then writes never fails because
another process wrote in between: transactions begin IMMEDIATE, taking the write lock first,
so the other writer waits instead (config/settings.py). A deferred transaction failed at once
with "database is locked" there, as an admin's add did beside `make serve`'s job worker."""

from __future__ import annotations

import copy

import pytest
from django.db import OperationalError, connection
from django.db.backends.sqlite3.base import DatabaseWrapper

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's locking")


def _connection(path, timeout: float) -> DatabaseWrapper:
    settings_dict = copy.deepcopy(connection.settings_dict)
    settings_dict["NAME"] = str(path)
    settings_dict["OPTIONS"]["timeout"] = timeout
    wrapper = DatabaseWrapper(settings_dict, alias="sqlite-lock-test")
    wrapper.ensure_connection()
    return wrapper


def test_a_read_then_write_transaction_is_never_refused_for_a_write_in_between(
    tmp_path, django_db_blocker
):
    path = tmp_path / "locks.sqlite3"
    with django_db_blocker.unblock():  # a database file of its own, not the test database
        _check_locking(path)


def _check_locking(path) -> None:
    first, second = _connection(path, 5), _connection(path, 0.2)
    try:
        with first.cursor() as cursor:
            cursor.execute("CREATE TABLE members (email TEXT)")
        first.set_autocommit(False)
        first._start_transaction_under_autocommit()  # what atomic() does on SQLite
        with first.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM members")  # the add's reads
        # Another process writes meanwhile: it waits for the first transaction (and here,
        # with a short timeout, gives up) instead of slipping a commit in between.
        with pytest.raises(OperationalError, match="locked"), second.cursor() as cursor:
            cursor.execute("INSERT INTO members VALUES ('job@worker.example')")
        with first.cursor() as cursor:
            cursor.execute("INSERT INTO members VALUES ('jane@acme.example')")  # never refused
        first.commit()
        with second.cursor() as cursor:
            cursor.execute("SELECT email FROM members")
            assert cursor.fetchall() == [("jane@acme.example",)]
    finally:
        first.close()
        second.close()

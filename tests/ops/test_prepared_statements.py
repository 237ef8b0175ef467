"""On PostgreSQL a connection keeps the statements it repeats prepared, so the server stops
planning the queries every SCIM request runs; ``DB_PREPARED_STATEMENTS=false`` turns that off
(for a pooler in transaction mode)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.db import connection

from tests.ops.production import ROOT

pytestmark = pytest.mark.django_db


def database_options(**env: str) -> dict:
    script = ("import json, django; django.setup(); from django.conf import settings; "
              "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))")
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True,
        text=True, timeout=60, check=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env})
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_postgresql_connections_prepare_what_they_repeat_unless_told_not_to():
    url = "postgres://postgres@127.0.0.1:5432/roster"
    assert database_options(DATABASE_URL=url) == {"server_side_binding": True,
                                                  "prepare_threshold": 5}
    assert database_options(DATABASE_URL=url, DB_PREPARED_STATEMENTS="false") == {}
    assert "server_side_binding" not in database_options(DATABASE_URL="sqlite:///x.db")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements of PostgreSQL")
def test_a_scim_request_repeated_runs_on_prepared_statements(scim, org):
    for _ in range(6):  # psycopg prepares a statement the fifth time a connection runs it
        assert scim.get('/Users?filter=userName eq "nobody@acme.example"').status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [row[0] for row in cursor.fetchall()]
    assert any("scim_scimtoken" in s for s in statements)  # the token's lookup
    assert any('"user_name_key" = $2' in s for s in statements)  # the userName lookup

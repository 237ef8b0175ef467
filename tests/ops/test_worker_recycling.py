"""gunicorn loads Roster once, in its master, and forks the workers from it
(``config/gunicorn.conf.py``'s ``preload_app``): a worker recycled by ``max_requests`` serves
at once instead of importing Django on the cores that serve requests, and the master keeps no
database connection that its workers would inherit.

PostgreSQL only, like ``test_scale_out`` (the server must see the test's database); in CI a
missing Redis or a server that does not start fails instead of skipping.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from orgs.audit import Actor
from scim.models import ScimRequest
from scim.services import scim_token_create
from tests.factories import OrganizationFactory, SamlConnectionFactory
from tests.ops.production import ROOT, production_env, redis_available
from tests.ops.test_scale_out import REDIS_URL, Instance, cannot_run, database_url

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="runs against the test's PostgreSQL database, like scale-out"),
]

RECYCLE_AFTER = 3


def _postgres_sockets(pid: int) -> int:
    """How many TCP connections to port 5432 process ``pid`` holds (from /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd) if fd.is_symlink() else ""
        if match := re.fullmatch(r"socket:\[(\d+)\]", target):
            inodes.add(match.group(1))
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[2].endswith(":1538") and fields[9] in inodes:  # 0x1538 = 5432
                count += 1
    return count


def _loaded_modules(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text()


@pytest.fixture
def server(transactional_db, tmp_path):
    if not redis_available():
        cannot_run("no Redis at 127.0.0.1:6379")
    env = production_env(tmp_path, DATABASE_URL=database_url(), CACHE_URL=REDIS_URL,
                         GUNICORN_WORKERS="2", GUNICORN_MAX_REQUESTS=str(RECYCLE_AFTER),
                         GUNICORN_MAX_REQUESTS_JITTER="0")
    collected = subprocess.run([env["PY"], "manage.py", "collectstatic", "--noinput",
                                "--verbosity", "0"], cwd=ROOT, env=env, capture_output=True,
                               text=True, timeout=120)
    assert collected.returncode == 0, collected.stderr
    instance = Instance("recycling", env, tmp_path)
    try:
        instance.wait_until_up()
        yield instance
    finally:
        instance.stop()


def test_recycled_workers_are_forks_of_a_loaded_master_without_a_database_connection(server):
    org = OrganizationFactory(slug="acme", scim_enabled=True, scim_rate_limit_per_minute=600)
    SamlConnectionFactory(organization=org)
    token = scim_token_create(organization=org, actor=Actor.system(), description="Okta")

    statuses = [server.scim_get(token.plaintext).status for _ in range(8 * RECYCLE_AFTER)]

    assert statuses == [200] * len(statuses)
    assert ScimRequest.objects.filter(organization=org, status=200).count() == len(statuses)
    output = server.output()
    assert output.count("Autorestarting worker") >= 6, output
    booted = re.findall(r"Booting worker with pid: (\d+)", output)
    assert len(set(booted)) >= 8, output  # two at start, then one per recycle
    master = server.process.pid
    # The master imported Roster (its database driver is mapped in), yet holds no connection.
    assert "psycopg_binary" in _loaded_modules(master)
    assert _postgres_sockets(master) == 0

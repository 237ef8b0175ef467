"""SCIM benchmark: prints latency and memory figures for the requests Okta and Entra make.

Not a test: it measures. It builds a throwaway database (SQLite in a temp dir, or a new
database on the PostgreSQL server of $DATABASE_URL, dropped at the end), seeds one
organization with --members members and --groups groups of --group-size members each, and
times the SCIM calls through Django's full request stack.

    .venv/bin/python bench/scim_bench.py --members 20000 --groups 50 --group-size 500
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/scim_bench.py

Okta's SPEC test wants GET /Groups under 600 ms; both IdPs want answers within 60 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def throwaway_postgres(url: str) -> str:
    """A fresh database on the server $DATABASE_URL names, dropped when the script ends: the
    benchmark never touches the database it was pointed at."""
    import atexit
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    name = f"roster_bench_{os.getpid()}"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')

    atexit.register(drop)
    return urlunsplit(parts._replace(path=f"/{name}"))


def setup_django() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        os.environ["DATABASE_URL"] = throwaway_postgres(url)
    else:
        tmp = tempfile.mkdtemp(prefix="roster-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed(members: int, groups: int, group_size: int) -> tuple[str, list[str]]:
    from django.utils import timezone

    from orgs.audit import Actor
    from orgs.models import Group, GroupMember, Membership, Organization, User
    from scim.services import scim_token_create
    from sso.models import SamlConnection

    org = Organization.objects.create(name="Bench", slug=f"bench-{uuid.uuid4().hex[:6]}",
                                      plan="enterprise", scim_enabled=True)
    SamlConnection.objects.create(organization=org, is_active=True,
                                  configured_at=timezone.now())
    now = timezone.now()
    batch = 2000
    for start in range(0, members, batch):
        users = User.objects.bulk_create([
            User(email=f"user{i}@bench.example", first_name="U", last_name=str(i),
                 password="!")
            for i in range(start, min(members, start + batch))
        ])
        Membership.objects.bulk_create([
            Membership(organization=org, user=u, scim_user_name=u.email, source="scim",
                       created_at=now)
            for u in users
        ])
    ids = list(Membership.objects.filter(organization=org).values_list("pk", flat=True))
    for g in range(groups):
        group = Group.objects.create(organization=org, display_name=f"Group {g}")
        chosen = ids[(g * group_size) % max(1, len(ids)):][:group_size]
        GroupMember.objects.bulk_create([GroupMember(group=group, membership_id=m)
                                         for m in chosen])
    token = scim_token_create(organization=org, actor=Actor.system("bench"), ttl_days=0,
                              description="bench")
    return token.plaintext, [str(i) for i in ids]


def measure(client, token: str, label: str, method: str, path: str, runs: int,
            **extra) -> None:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_ACCEPT": "application/scim+json"}
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings = []
    for _ in range(runs):
        t0 = time.perf_counter()
        response = getattr(client, method)(path, **headers, **extra)
        timings.append((time.perf_counter() - t0) * 1000)
        if response.status_code >= 400:
            raise SystemExit(f"{label}: HTTP {response.status_code} {response.content[:300]!r}")
    # One more run, traced, for the memory peak and the query count (tracing slows it down,
    # so it is kept out of the timings).
    tracemalloc.start()
    with CaptureQueriesContext(connection) as queries:
        getattr(client, method)(path, **headers, **extra)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = len(response.content)
    print(f"{label:<50} median {statistics.median(timings):7.1f} ms  max {max(timings):7.1f} ms"
          f"  {len(queries):3d} queries  peak {peak / 1e6:5.1f} MB  body {size / 1e3:6.1f} kB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--group-size", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    setup_django()
    from django.db import connection
    from django.test import Client

    t0 = time.perf_counter()
    token, ids = seed(args.members, args.groups, args.group_size)
    print(f"database: {connection.vendor}; seeded {args.members} members, {args.groups} groups "
          f"of {args.group_size} in {time.perf_counter() - t0:.1f} s")
    client = Client(HTTP_HOST="127.0.0.1")
    last_page = max(1, args.members - 99)
    runs = args.runs
    measure(client, token, "GET /Users?startIndex=1&count=2 (Test Connector)", "get",
            "/scim/v2/Users?startIndex=1&count=2", runs)
    measure(client, token, "GET /Users?count=100 (first page)", "get",
            "/scim/v2/Users?startIndex=1&count=100", runs)
    measure(client, token, f"GET /Users?count=100 (startIndex={last_page})", "get",
            f"/scim/v2/Users?startIndex={last_page}&count=100", runs)
    measure(client, token, "GET /Users?filter=userName eq (hit, upper-cased)", "get",
            f"/scim/v2/Users?filter=userName%20eq%20%22USER{args.members // 2}@BENCH.EXAMPLE%22",
            runs)
    measure(client, token, "GET /Users?filter=userName eq (miss)", "get",
            "/scim/v2/Users?filter=userName%20eq%20%22nobody@bench.example%22", runs)
    measure(client, token, "GET /Users/{id}", "get", f"/scim/v2/Users/{ids[len(ids) // 2]}",
            runs)
    measure(client, token, f"GET /Groups?count=100 (members, {args.group_size} each)", "get",
            "/scim/v2/Groups?startIndex=1&count=100", runs)
    measure(client, token, "GET /Groups?excludedAttributes=members", "get",
            "/scim/v2/Groups?startIndex=1&count=100&excludedAttributes=members", runs)


if __name__ == "__main__":
    main()

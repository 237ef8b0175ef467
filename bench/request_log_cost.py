"""What the SCIM request log costs a request: median latency with and without it.

Not a test: it measures. A throwaway database (SQLite in a temp dir,
or a new database on the PostgreSQL server of $DATABASE_URL, dropped at the end), one
organization with --members members. Each request kind is timed --runs times through Django's
full stack, alternating "log on" and "log off" (``scim.request_log.record`` replaced by a no-op)
request by request, so both see the same cache and database state; "in log" is the time spent
in ``record`` itself, and "share" that time over the rest of the same request (less noisy on a
busy machine than on/off). The rate limit counts in an in-memory cache here (Redis in
production), so the figures are the log's alone.

    .venv/bin/python bench/request_log_cost.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/request_log_cost.py
"""

from __future__ import annotations

import argparse
import atexit
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CACHE_URL", "locmem://")
SLUG = "bench"


def throwaway_database() -> None:
    """Point DATABASE_URL at a new database (a new one on the PostgreSQL server it names, else
    a temporary SQLite file), dropped when the script ends: never the one it was given."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='roster-bench-')}/b.db"
        return
    import psycopg

    parts = urlsplit(url)
    name = f"roster_log_cost_{os.getpid()}"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')

    atexit.register(drop)
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))


def seed(members: int) -> tuple[str, list[str]]:
    """The benchmark's organization with ``members`` members (``manage.py seed_scale``) and a
    token (``bench/setup_scim.py``, which also turns SCIM on)."""
    env = {**os.environ, "LOG_LEVEL": "WARNING"}
    for command in (["migrate", "--noinput"],
                    ["seed_scale", "--org", SLUG, "--members", str(members)]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True,
                       capture_output=True)
    token = subprocess.run([sys.executable, "bench/setup_scim.py", SLUG], cwd=ROOT, env=env,
                           check=True, capture_output=True, text=True).stdout.strip()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from orgs.models import Membership

    ids = Membership.objects.filter(organization__slug=SLUG).values_list("pk", flat=True)
    return token, [str(i) for i in ids]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()

    throwaway_database()
    token, ids = seed(args.members)
    import json
    import logging

    logging.getLogger("django.request").setLevel(logging.ERROR)  # the 401s' warnings

    from django.db import connection
    from django.test import Client

    from scim import http, request_log

    client = Client(HTTP_HOST="127.0.0.1")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_ACCEPT": "application/scim+json",
            "HTTP_USER_AGENT": "Okta SCIM Client 1.0.0"}
    record = request_log.record
    counter = iter(range(10**9))

    def create() -> object:
        n = next(counter)
        return client.post("/scim/v2/Users", data=json.dumps({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": f"new{n}@bench.example", "externalId": f"00u{n}",
            "name": {"givenName": "New", "familyName": str(n)}, "password": "placeholder",
            "emails": [{"primary": True, "value": f"new{n}@bench.example", "type": "work"}],
            "active": True}), content_type="application/scim+json", **auth)

    kinds = {
        "GET /Users?startIndex=1&count=2 (Test Connector)":
            lambda: client.get("/scim/v2/Users?startIndex=1&count=2", **auth),
        "GET /Users?filter=userName eq (miss)":
            lambda: client.get('/scim/v2/Users?filter=userName%20eq%20%22nobody%40x.example%22',
                               **auth),
        "GET /Users/{id}": lambda: client.get(f"/scim/v2/Users/{ids[len(ids) // 2]}", **auth),
        "GET /Users?count=100 (a page, response cut at 16 KB)":
            lambda: client.get("/scim/v2/Users?startIndex=1&count=100", **auth),
        "POST /Users (create, Okta's body)": create,
        "GET /Users with a revoked/unknown token (401)":
            lambda: client.get("/scim/v2/Users", HTTP_AUTHORIZATION="Bearer rst_scim_"
                               + "Z" * 43),
    }
    print(f"database: {connection.vendor}; {args.members} members; median of {args.runs} "
          f"requests each, log on and off alternating")
    print(f"{'request':<52} {'log off':>9} {'log on':>9} {'ratio':>6} {'in log':>8} "
          f"{'share':>6}")
    logged: list[float] = []

    def timed_record(*a: object, **k: object) -> None:
        t0 = time.perf_counter()
        record(*a, **k)
        logged.append((time.perf_counter() - t0) * 1000)

    ratios, shares = [], []
    for label, send in kinds.items():
        for _ in range(10):  # warm up
            send()
        timings: dict[bool, list[float]] = {True: [], False: []}
        logged.clear()
        for i in range(2 * args.runs):
            on = i % 2 == 0
            http.request_log.record = timed_record if on else (lambda *a, **k: None)
            t0 = time.perf_counter()
            response = send()
            timings[on].append((time.perf_counter() - t0) * 1000)
            if response.status_code >= 500:
                raise SystemExit(f"{label}: HTTP {response.status_code}")
        http.request_log.record = record
        off, on = statistics.median(timings[False]), statistics.median(timings[True])
        # The same requests timed from inside: the log's own time over the rest of the request.
        share = statistics.median(t / (total - t) for t, total in zip(logged, timings[True],
                                                                     strict=True))
        ratios.append(on / off)
        shares.append(share)
        print(f"{label:<52} {off:7.2f}ms {on:7.2f}ms {on / off:6.2f} "
              f"{statistics.median(logged):6.2f}ms {share:5.0%}")
    print(f"worst ratio on/off {max(ratios):.2f}; worst share of the log in a request "
          f"{max(shares):.0%} (the log must not double a request's cost: ratio < 2, share "
          "< 100%)")


if __name__ == "__main__":
    main()

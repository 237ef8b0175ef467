"""Where a SCIM request's CPU goes: the benchmark's Okta workload (bench/workload.py) run
in-process, one client, straight into Roster's WSGI application under cProfile.

    .venv/bin/python bench/profile_workload.py [--members 1000] [--users 300] [--top 40]

It measures nothing against the floor (``make bench`` does); it lists the functions that
cost the most, with the same settings as the benchmark's server (PostgreSQL, the Redis
cache, ``DEBUG=false``). The database ``roster_profile`` is created and dropped.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import workload  # noqa: E402
from run import SLUG, manage, psql  # noqa: E402


class WsgiClient(workload.Client):
    """``workload.Client`` speaking to the WSGI application in this process."""

    application: Any = None

    def __init__(self, port: int, token: str, recorder: workload.Recorder) -> None:
        self.recorder = recorder
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/scim+json",
                        "User-Agent": "Okta SCIM Client 1.0.0"}

    def request(self, kind: str, method: str, path: str, body: Any = None,
                expect: int = 200) -> Any:
        data = json.dumps(body).encode() if body is not None else b""
        parts = urlsplit(path)
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": parts.path, "QUERY_STRING": parts.query,
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(data),
            "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": True,
            "wsgi.run_once": False, "wsgi.version": (1, 0), "CONTENT_LENGTH": str(len(data)),
            **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in self.headers.items()},
        }
        if body is not None:
            environ["CONTENT_TYPE"] = "application/scim+json; charset=utf-8"
        status: list[str] = []
        started = time.perf_counter()
        chunks = self.application(environ, lambda s, h, exc=None: status.append(s))
        content = b"".join(chunks)
        getattr(chunks, "close", lambda: None)()
        code = int(status[0].split()[0])
        self.recorder.add(workload.Sample(kind, (time.perf_counter() - started) * 1000, code,
                                          None),
                          None if code == expect else f"{kind}: {method} {path} -> {code}")
        return json.loads(content) if content and code < 300 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/6")
    parser.add_argument("--output", help="also dump the raw profile here (pstats format)")
    parser.add_argument("--phases", default="all",
                        help="comma-separated Workload phases to profile (default: all), e.g."
                             " import_pages,groups; the users they need are created first")
    args = parser.parse_args()

    url = f"{args.postgres}/roster_profile"
    psql(f"{args.postgres}/postgres", "DROP DATABASE IF EXISTS roster_profile")
    psql(f"{args.postgres}/postgres", "CREATE DATABASE roster_profile")
    env = {"DATABASE_URL": url, "CACHE_URL": args.cache_url, "DEBUG": "false",
           "DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "127.0.0.1",
           "LOG_LEVEL": "WARNING", "BASE_URL": "http://127.0.0.1:8000"}
    os.environ.update(env)
    try:
        manage({**os.environ}, "migrate", "--noinput")
        manage({**os.environ}, "seed_scale", "--org", SLUG, "--members", str(args.members))
        token = subprocess.run([sys.executable, "bench/setup_scim.py", SLUG], cwd=ROOT,
                               env={**os.environ}, check=True, capture_output=True,
                               text=True).stdout.strip()
        subprocess.run(["redis-cli", "-u", args.cache_url, "FLUSHDB"], check=False,
                       capture_output=True)
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
        from django.core.wsgi import get_wsgi_application

        WsgiClient.application = get_wsgi_application()
        workload.Client = WsgiClient  # type: ignore[misc]
        work = workload.Workload(0, token, SLUG, args.members, args.users, 1,
                                 workload.new_run_id())
        client = WsgiClient(0, token, work.recorder)

        def run_in_this_thread(tasks: list[Any]) -> None:  # cProfile sees only this thread
            client.recorder = work.recorder
            for task in tasks:
                task(client)

        work._run = run_in_this_thread
        work.test_connector(20)  # warm up: imports, connections, caches
        phases = [getattr(work, name) for name in args.phases.split(",")]
        if args.phases != "all" and "lookup_then_create" not in args.phases:
            work.lookup_then_create()  # the members later phases change
        work.recorder = workload.Recorder()
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for phase in phases:
            phase()
        profiler.disable()
        wall = time.perf_counter() - started
        n = len(work.recorder.samples)
        print(f"{n} requests in {wall:.1f} s: {wall / n * 1000:.2f} ms each under the profiler;"
              f" {len(work.recorder.errors)} failed {work.recorder.errors[:3]}")
        stats = pstats.Stats(profiler)
        if args.output:
            stats.dump_stats(args.output)
        stats.sort_stats(args.sort).print_stats(args.top)
    finally:
        from django.db import connections

        connections.close_all()
        psql(f"{args.postgres}/postgres", "DROP DATABASE IF EXISTS roster_profile WITH (FORCE)")


if __name__ == "__main__":
    main()

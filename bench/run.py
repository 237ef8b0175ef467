"""``make bench``: Roster under its production server against an Okta-shaped workload, at
1,000 and at 100,000 members, next to the framework's floor on the same stack.

    .venv/bin/python bench/run.py [--sizes 1000,100000] [--users 1000] [--clients 4]

What it does, in order (nothing here is a test; it measures and prints):

1. Creates a throwaway PostgreSQL database (``--database``, dropped at the end) on the
   server of ``--postgres`` and migrates it.
2. For each size: grows the organization to that many members with ``manage.py
   seed_scale`` (bulk inserts), and runs the workload (bench/workload.py) with ``--clients``
   concurrent clients against gunicorn (config/gunicorn.conf.py, ``--workers`` sync workers,
   ``DEBUG=false``, PostgreSQL, the Redis cache of ``--cache-url``) on a free port, with a
   burst of the floor view (``config.bench.floor``: one indexed SELECT on the same stack)
   after each phase, so workload and floor see the same machine.
3. Prints, per request kind and size: requests/s, p50, p95 and the SQL queries the server
   counted (``X-Queries``) and the worker CPU one request took (``X-CPU-Ms``); the whole
   workload's requests/s and its ratio to the floor's (also as a ratio of worker CPU per
   request, which the machine's other load does not move); the RSS of each gunicorn worker
   (``/proc/<pid>/status``) through the run. ``--json`` also writes the figures to a file.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import Workload, new_run_id, summary  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
SLUG = "bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(url: str, sql: str) -> None:
    subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qc", sql], check=True,
                   stdout=subprocess.DEVNULL)


class Server:
    """gunicorn as production runs it (config/gunicorn.conf.py), in bench mode."""

    def __init__(self, env: dict[str, str], workers: int, logs: Path) -> None:
        self.port = free_port()
        self.env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}",
                    "GUNICORN_WORKERS": str(workers), "BASE_URL": f"http://127.0.0.1:{self.port}",
                    "GUNICORN_ACCESS_LOG": str(logs / "access.log"),
                    # No recycling: the RSS figures must show what a worker grows to.
                    "GUNICORN_MAX_REQUESTS": "0"}
        self.log = open(logs / "gunicorn.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [PY, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        self.rss: dict[int, int] = {}
        self.expected_workers = workers
        self._stop = threading.Event()
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/bench/floor/?id=x",
                                       timeout=2)
            except urllib.error.HTTPError:
                break  # 400: up and answering
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise SystemExit(
                        f"gunicorn did not start; see {logs}/gunicorn.log") from None
                time.sleep(0.2)
        threading.Thread(target=self._sample, daemon=True).start()

    def workers(self) -> list[int]:
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                pids.append(int(stat.parent.name))
        return sorted(pids)

    def _sample(self) -> None:
        """The workers' RSS every 0.25 s. The worker list is found once all have started, and
        again only when one is gone: scanning /proc costs ~4 ms of CPU in this process, the
        clients' process, whose threads it would stall at every sample."""
        pids: list[int] = []
        while not self._stop.wait(0.25):
            if len(pids) < self.expected_workers:
                pids = self.workers()
            for pid in pids:
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    pids = []  # a worker was replaced: find them again next time
                    continue
                kb = int(next(line.split()[1] for line in status.splitlines()
                              if line.startswith("VmRSS:")))
                self.rss[pid] = max(self.rss.get(pid, 0), kb)

    def stop(self) -> None:
        self._stop.set()
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True)
    return done.stdout.strip()


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               "unknown CPU")
    mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    return (f"{os.cpu_count()} cores ({cpu}), {mem:,} MB RAM, "
            f"Python {sys.version.split()[0]}, {pg}, load average {os.getloadavg()[0]:.2f}")


def cpu_ratio(work: Workload) -> float:
    """The floor's mean worker CPU per request over the workload's: the requests/s ratio
    as the workers' own CPU sees it, whatever else the machine is busy with."""
    def mean(recorder: object) -> float:
        cpu = [s.cpu_ms for s in recorder.samples if s.cpu_ms is not None]
        return sum(cpu) / len(cpu)
    return mean(work.floor_recorder) / mean(work.recorder)


def report(size: int, kinds: dict, total_rps: float, floor_rps: float, cpu: float,
           rss: dict) -> None:
    print(f"\n### {size:,} members\n")
    print("| request | n | req/s | p50 ms | p95 ms | in worker p95 ms | SQL queries "
          "| worker CPU ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind, k in kinds.items():
        queries = "–" if k["queries"] != k["queries"] else (
            f"{k['queries']:.0f}" if k["queries"] == k["queries_max"]
            else f"{k['queries']:.0f} (max {k['queries_max']:.0f})")
        print(f"| {kind} | {k['n']} | {k['rps']:.0f} | {k['p50']:.1f} | {k['p95']:.1f} | "
              f"{k['worker_p95']:.1f} | {queries} | {k['cpu_ms']:.2f} |")
    print(f"\nWhole workload: {total_rps:.0f} requests/s; floor {floor_rps:.0f} requests/s; "
          f"ratio {total_rps / floor_rps:.2f}x the floor (by worker CPU per request: "
          f"{cpu:.2f}x).")
    print("Worker RSS (max so far): " + ", ".join(f"{kb / 1024:.0f} MB" for kb in rss.values()))


def flatness(sizes: list[int], first: dict, last: dict) -> None:
    """Each kind's p50 at the last size over its p50 at the first; and the same ratio with
    each p50 taken relative to the floor's p50 in the burst right after that kind's phase, so
    that the machine's own drift between the two (the floor's ratio, printed last) is not
    counted as the code's."""
    print(f"\n### p50 at {sizes[-1]:,} members / p50 at {sizes[0]:,}\n")
    print("| request | p50 ratio | floor's p50 ratio in the same phases | p50 ratio relative to "
          "the floor |")
    print("|---|---:|---:|---:|")
    for kind in first:
        if kind not in last:
            continue
        ratio = last[kind]["p50"] / first[kind]["p50"]
        if "floor_p50" in first[kind] and "floor_p50" in last[kind]:
            drift = last[kind]["floor_p50"] / first[kind]["floor_p50"]
            print(f"| {kind} | {ratio:.2f}x | {drift:.2f}x | {ratio / drift:.2f}x |")
        else:
            print(f"| {kind} | {ratio:.2f}x | | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--users", type=int, default=1000, help="users created per size")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--postgres", default=os.environ.get(
        "BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--database", default="roster_bench")
    parser.add_argument("--cache-url", default=os.environ.get(
        "BENCH_CACHE_URL", "redis://127.0.0.1:6379/5"))
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    print(f"Machine: {machine()}")
    admin = f"{args.postgres}/postgres"
    url = f"{args.postgres}/{args.database}"
    psql(admin, f'DROP DATABASE IF EXISTS "{args.database}"')
    psql(admin, f'CREATE DATABASE "{args.database}"')
    logs = Path(tempfile.mkdtemp(prefix="roster-bench-"))
    env = {**os.environ, "DATABASE_URL": url, "CACHE_URL": args.cache_url, "DEBUG": "false",
           "DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "127.0.0.1",
           "BENCH_FLOOR": "true", "LOG_LEVEL": "WARNING"}
    results: dict = {"machine": machine(), "sizes": {}}
    server = None
    try:
        manage(env, "migrate", "--noinput")
        for size in sizes:
            started = time.perf_counter()
            print(manage(env, "seed_scale", "--org", SLUG, "--members", str(size)),
                  f"({time.perf_counter() - started:.1f} s with the command's start)")
            # Write the bulk load's dirty pages back now, not at a checkpoint in the middle of
            # a measured phase: a directory in service has no bulk load pending. (One run had a
            # Test Connector p95 of 80 ms at 100,000 members, its first phase after the load.)
            psql(url, "CHECKPOINT")
            if server is None:
                token = subprocess.run(
                    [PY, "bench/setup_scim.py", SLUG], cwd=ROOT, env=env, check=True,
                    capture_output=True, text=True).stdout.strip()
                server = Server(env, args.workers, logs)
            work = Workload(server.port, token, SLUG, size, args.users, args.clients,
                            new_run_id())
            if size == sizes[0]:
                work.warm_up()  # the server just started
            work.all()
            if work.recorder.errors:
                print(f"{len(work.recorder.errors)} requests failed, e.g.:",
                      *work.recorder.errors[:5], sep="\n  ")
            total_rps = len(work.recorder.samples) / work.wall
            floor_rps = len(work.floor_recorder.samples) / work.floor_wall
            kinds = (summary(work.recorder, args.clients)
                     | summary(work.floor_recorder, args.clients))
            cpu = cpu_ratio(work)
            rss = {pid: kb for pid, kb in server.rss.items()}
            report(size, kinds, total_rps, floor_rps, cpu, rss)
            for kind, floors in work.phase_floor.items():
                kinds[kind]["floor_p50"] = sum(floors) / len(floors)
            results["sizes"][size] = {"kinds": kinds, "workload_rps": total_rps,
                                      "floor_rps": floor_rps, "cpu_ratio": cpu,
                                      "errors": work.recorder.errors,
                                      "worker_rss_kb": list(rss.values())}
    finally:
        if server is not None:
            server.stop()
        psql(admin, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    if len(sizes) > 1:
        first, last = results["sizes"][sizes[0]]["kinds"], results["sizes"][sizes[-1]]["kinds"]
        flatness(sizes, first, last)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
        print(f"\nFigures written to {args.json}; logs in {logs}")


if __name__ == "__main__":
    main()

"""The benchmark's client: an Okta-shaped SCIM workload driven over HTTP by concurrent
clients (threads, one ``http.client`` connection each), with every request timed.

Okta's requests, as its provisioning sends them: Test Connector, a lookup then a create for
each new user, lookups of existing users, import pages (startIndex, and RFC 9865 cursors),
GET then PUT profile updates, group pushes (create, PATCH adding members, PATCH adding a
thousand at once, rename) and deactivations. Each request records its kind, its latency, its
status and the ``X-Queries`` count the server adds in bench mode (``config.bench``).
"""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
FLOOR_BURST = 400  # floor requests after each phase


@dataclass
class Sample:
    kind: str
    ms: float
    status: int
    queries: int | None
    cpu_ms: float | None = None
    wall_ms: float | None = None


@dataclass
class Recorder:
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample, error: str | None = None) -> None:
        with self.lock:
            self.samples.append(sample)
            if error is not None:
                self.errors.append(error)


class Client:
    """One client connection (one per thread), speaking like Okta."""

    def __init__(self, port: int, token: str, recorder: Recorder) -> None:
        self.port, self.recorder = port, recorder
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/scim+json",
                        "User-Agent": "Okta SCIM Client 1.0.0"}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, kind: str, method: str, path: str, body: Any = None,
                expect: int = 200) -> Any:
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/scim+json; charset=utf-8"
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            content = response.read()
        except (ConnectionError, http.client.HTTPException):
            # A sync worker closes the connection after each answer: open a new one, as Okta's
            # client does, and time the request from the start.
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            content = response.read()
        ms = (time.perf_counter() - started) * 1000
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
        queries = response.getheader("X-Queries")
        cpu = response.getheader("X-CPU-Ms")
        wall = response.getheader("X-Wall-Ms")
        error = None
        if response.status != expect:
            error = f"{kind}: {method} {path} -> {response.status} {content[:200]!r}"
        self.recorder.add(Sample(kind, ms, response.status, int(queries) if queries else None,
                                 float(cpu) if cpu else None, float(wall) if wall else None),
                          error)
        return json.loads(content) if content and response.status < 300 else None


def run_tasks(port: int, token: str, clients: int, recorder: Recorder,
              tasks: Iterable[Callable[[Client], None]]) -> float:
    """Run ``tasks`` on ``clients`` concurrent clients; returns the wall time in seconds."""
    local = threading.local()

    def work(task: Callable[[Client], None]) -> None:
        if not hasattr(local, "client"):
            local.client = Client(port, token, recorder)
        task(local.client)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for future in [pool.submit(work, task) for task in tasks]:
            future.result()
    return time.perf_counter() - started


def call(kind: str, method: str, path: str, body: Any = None,
         expect: int = 200) -> Callable[[Client], Any]:
    """A task making one request."""
    return lambda c: c.request(kind, method, path, body, expect)


def _filter(text: str) -> str:
    return quote(text, safe="")


def okta_user(email: str, external_id: str) -> dict[str, Any]:
    return {
        "schemas": [USER_SCHEMA], "userName": email, "externalId": external_id,
        "name": {"givenName": "Bench", "familyName": email.split("@")[0]},
        "emails": [{"primary": True, "value": email, "type": "work"}],
        "displayName": f"Bench {email}", "locale": "en-US", "groups": [],
        "password": "1mz050nq", "active": True,
    }


class Workload:
    """The phases of one run against one directory size, in the order Okta would send them."""

    def __init__(self, port: int, token: str, slug: str, directory: int, users: int,
                 clients: int, run_id: str) -> None:
        self.port, self.token, self.slug = port, token, slug
        self.directory, self.users, self.clients, self.run_id = directory, users, clients, run_id
        self.recorder = Recorder()
        self.created: list[str] = []
        self.lock = threading.Lock()
        self.wall = 0.0
        # The floor runs in bursts between the phases, so both see the same machine.
        self.floor_recorder = Recorder()
        self.floor_wall = 0.0
        self.floor_ids: list[str] = []
        # Per request kind, the floor's p50 in the burst right after the phase it ran in: the
        # machine's speed at that moment, which a later phase (or size) may not share.
        self.phase_floor: dict[str, list[float]] = defaultdict(list)

    def _run(self, tasks: list[Callable[[Client], None]]) -> None:
        first = len(self.recorder.samples)
        self.wall += run_tasks(self.port, self.token, self.clients, self.recorder, tasks)
        kinds = {s.kind for s in self.recorder.samples[first:]}
        first_floor = len(self.floor_recorder.samples)
        if not self.floor_ids:
            page = Client(self.port, self.token, Recorder()).request(
                "setup", "GET", "/scim/v2/Users?startIndex=1&count=100")
            self.floor_ids = [r["id"] for r in page["Resources"]]
        self.floor_wall += run_tasks(self.port, "", self.clients, self.floor_recorder, [
            call("floor (one indexed SELECT)", "GET",
                 f"/bench/floor/?id={self.floor_ids[i % len(self.floor_ids)]}")
            for i in range(FLOOR_BURST)
        ])
        burst = sorted(s.ms for s in self.floor_recorder.samples[first_floor:])
        for kind in kinds:
            self.phase_floor[kind].append(burst[len(burst) // 2])

    def test_connector(self, n: int = 100) -> None:
        self._run([call("Test Connector", "GET", "/scim/v2/Users?startIndex=1&count=2")] * n)

    def lookup_then_create(self) -> None:
        def task(i: int) -> Callable[[Client], None]:
            email = f"new{i}.{self.run_id}@{self.slug}.example"

            def run(c: Client) -> None:
                body = c.request("lookup userName (miss)", "GET", "/scim/v2/Users?filter="
                                 + _filter(f'userName eq "{email}"') + "&startIndex=1&count=100")
                assert body is not None and body["totalResults"] == 0
                made = c.request("POST /Users", "POST", "/scim/v2/Users",
                                 okta_user(email, f"00uN{self.run_id}{i:06d}"), expect=201)
                if made:
                    with self.lock:
                        self.created.append(made["id"])
            return run

        self._run([task(i) for i in range(self.users)])

    def lookups(self) -> None:
        step = max(1, self.directory // self.users)

        def task(i: int) -> Callable[[Client], None]:
            name = f"USER{i}@{self.slug.upper()}.EXAMPLE"  # Okta's case need not be ours
            return call("lookup userName (hit)", "GET", "/scim/v2/Users?filter="
                        + _filter(f'userName eq "{name}"') + "&startIndex=1&count=100")

        self._run([task((i * step) % self.directory) for i in range(self.users)])

    def import_pages(self, pages: int = 100) -> None:
        last = max(1, self.directory - 99)
        starts = [1 + (last - 1) * k // max(1, pages - 1) for k in range(pages)]
        self._run([call("import page (startIndex)", "GET",
                        f"/scim/v2/Users?startIndex={s}&count=100") for s in starts])
        # Cursor pages follow one another: one client walks them, the others idle.
        def walk(c: Client) -> None:
            cursor = ""
            for _ in range(pages):
                body = c.request("import page (cursor)", "GET",
                                 f"/scim/v2/Users?count=100&cursor={cursor}")
                cursor = (body or {}).get("nextCursor", "")
                if not cursor:
                    break
        self._run([walk])

    def profile_updates(self) -> None:
        def task(uid: str) -> Callable[[Client], None]:
            def run(c: Client) -> None:
                user = c.request("GET /Users/{id}", "GET", f"/scim/v2/Users/{uid}")
                user["name"]["familyName"] += " Jr"
                user["title"] = "Engineer"
                c.request("PUT /Users/{id}", "PUT", f"/scim/v2/Users/{uid}", user)
            return run

        self._run([task(uid) for uid in self.created[: self.users // 2]])

    def groups(self, count: int = 20, adds: int = 5, per_add: int = 20, bulk: int = 4) -> None:
        made: list[str] = []

        def create(i: int) -> Callable[[Client], None]:
            def run(c: Client) -> None:
                body = c.request("POST /Groups", "POST", "/scim/v2/Groups",
                                 {"schemas": [GROUP_SCHEMA], "displayName":
                                  f"Bench {self.run_id} {i}", "members": []}, expect=201)
                with self.lock:
                    made.append(body["id"])
            return run

        self._run([create(i) for i in range(count + bulk)])
        members = self.created

        def add(gid: str, start: int, n: int, kind: str) -> Callable[[Client], None]:
            ids = [members[(start + j) % len(members)] for j in range(n)]
            return call(kind, "PATCH", f"/scim/v2/Groups/{gid}", {
                "schemas": [PATCH_OP], "Operations": [
                    {"op": "add", "path": "members", "value": [{"value": m} for m in ids]}]})

        small, large = made[:count], made[count:]
        # Round after round over the groups, so the clients push different groups at once
        # (pushes to one group queue on its row lock).
        self._run([add(gid, (g * adds + k) * per_add, per_add, "PATCH add 20 members")
                   for k in range(adds) for g, gid in enumerate(small)])
        # Members pushed to a new group in one PATCH, as Okta pushes a large group.
        self._run([add(gid, 0, min(1000, len(members)), "PATCH add 1,000 members")
                   for gid in large])
        self._run([call("PATCH rename", "PATCH", f"/scim/v2/Groups/{gid}", {
            "schemas": [PATCH_OP], "Operations": [
                {"op": "replace", "value": {"displayName": f"Renamed {gid}"}}]})
            for gid in made])

    def deactivations(self) -> None:
        self._run([call("PATCH deactivate", "PATCH", f"/scim/v2/Users/{uid}", {
            "schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": False}}]})
            for uid in self.created[-(self.users // 4):]])

    def warm_up(self) -> None:
        """Unmeasured reads right after the server starts (imports, database connections,
        compiled queries of each worker), as a production server is warm: without them the
        first phase measured each worker's start (a Test Connector p95 of 60 ms in some runs)."""
        recorder, self.recorder = self.recorder, Recorder()
        miss = _filter('userName eq "warm.up@example.invalid"')
        run_tasks(self.port, self.token, self.clients, self.recorder, [
            call("warm-up", "GET", path) for path in [
                "/scim/v2/Users?startIndex=1&count=2",
                f"/scim/v2/Users?filter={miss}&startIndex=1&count=100",
                "/scim/v2/Users?startIndex=2&count=100",
                "/scim/v2/Groups?startIndex=1&count=10",
            ] * 10
        ])
        self.recorder = recorder

    def all(self) -> None:
        self.test_connector()
        self.lookup_then_create()
        self.lookups()
        self.import_pages()
        self.profile_updates()
        self.groups()
        self.deactivations()


def summary(recorder: Recorder, clients: int) -> dict[str, dict[str, float]]:
    """Per request kind: count, requests/s at ``clients`` concurrent clients (``clients`` /
    mean latency: the rate the kind alone would be served at), p50, p95, SQL queries, and the
    worker's median CPU time for one request."""
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for sample in recorder.samples:
        by_kind[sample.kind].append(sample)
    out = {}
    for kind, samples in by_kind.items():
        ms = sorted(s.ms for s in samples)
        queries = [s.queries for s in samples if s.queries is not None]
        cpu = [s.cpu_ms for s in samples if s.cpu_ms is not None]
        wall = sorted(s.wall_ms for s in samples if s.wall_ms is not None)
        out[kind] = {
            "n": len(ms), "rps": clients * 1000 / statistics.fmean(ms),
            "p50": ms[len(ms) // 2], "p95": ms[min(len(ms) - 1, int(len(ms) * 0.95))],
            "queries": statistics.median(queries) if queries else float("nan"),
            "queries_max": max(queries) if queries else float("nan"),
            "cpu_ms": statistics.median(cpu) if cpu else float("nan"),
            "worker_p95": wall[min(len(wall) - 1, int(len(wall) * 0.95))] if wall
            else float("nan"),
        }
    return out


def new_run_id() -> str:
    return uuid.uuid4().hex[:6]

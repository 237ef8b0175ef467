"""The production start, for real: `manage.py check --deploy` is clean with the README's
environment, and `bin/serve` (what `make serve` runs) migrates, collects static files and runs
gunicorn with its config file beside the job worker, which sends an invitation. Every process is
stopped at the end, whatever happens."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.ops.production import ROOT, free_port, production_env, readme_env, redis_available

SECRET_KEY_RE = r"[A-Za-z0-9_-]{50,}"


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([env["PY"], "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_the_readme_names_every_production_setting():
    env = readme_env()
    assert env["DEBUG"] == "false"
    assert env["BASE_URL"].startswith("https://")
    for key in ("DJANGO_SECRET_KEY", "ALLOWED_HOSTS", "BEHIND_TLS_PROXY", "DATABASE_URL",
                "CACHE_URL", "EMAIL_HOST"):
        assert env.get(key), key


def test_check_deploy_is_clean_with_the_readme_environment(tmp_path):
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_without_https(tmp_path):
    env = production_env(tmp_path, BASE_URL="http://roster.example.com")
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W008" in result.stderr  # SECURE_SSL_REDIRECT
    assert "security.W004" in result.stderr  # HSTS


class Server:
    """``bin/serve`` in its own process group, its output in files (no pipe to fill up)."""

    def __init__(self, env: dict[str, str], tmp: Path) -> None:
        self.port = int(env["GUNICORN_BIND"].rsplit(":", 1)[1])
        self.out_path, self.err_path = tmp / "stdout.log", tmp / "stderr.log"
        self.out, self.err = self.out_path.open("w"), self.err_path.open("w")
        self.process = subprocess.Popen([str(ROOT / "bin" / "serve")], cwd=ROOT, env=env,
                                        stdout=self.out, stderr=self.err,
                                        start_new_session=True)

    def output(self) -> str:
        return self.out_path.read_text() + self.err_path.read_text()

    def request(self, path: str, headers: dict[str, str] | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request("GET", path, headers={
                "Host": "roster.example.com", "X-Forwarded-Proto": "https", **(headers or {})})
            response = conn.getresponse()
            return response, response.read()
        finally:
            conn.close()

    def wait_until_up(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"bin/serve exited with {self.process.returncode}:\n{self.output()}")
            try:
                self.request("/healthz")
                return
            except OSError:
                time.sleep(0.2)
        pytest.fail(f"gunicorn did not answer within {seconds} s:\n{self.output()}")

    def wait_for(self, text: str, seconds: float = 20) -> None:
        deadline = time.monotonic() + seconds
        while text not in self.output():
            if time.monotonic() > deadline:
                pytest.fail(f"{text!r} did not appear within {seconds} s:\n{self.output()}")
            time.sleep(0.2)

    def stop(self) -> int | None:
        """SIGTERM to bin/serve (its trap stops gunicorn and the jobs); then make sure."""
        try:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(timeout=20)
            return self.process.returncode
        finally:
            # Whatever is left of the group it started, e.g. after a failed assertion.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
            self.out.close()
            self.err.close()


@pytest.fixture
def redis_url() -> str:
    if not redis_available():
        if os.environ.get("CI") == "true":
            pytest.fail("Redis must run at 127.0.0.1:6379 in CI")
        pytest.skip("no Redis at 127.0.0.1:6379")
    return "redis://127.0.0.1:6379/0"


def test_make_serve_runs_gunicorn_with_whitenoise_and_the_job_worker(tmp_path, redis_url):
    port = free_port()
    env = production_env(tmp_path, CACHE_URL=redis_url, GUNICORN_BIND=f"127.0.0.1:{port}",
                         GUNICORN_WORKERS="2")
    token = "rst_scim_" + "Z" * 43
    server = Server(env, tmp_path)
    try:
        server.wait_until_up()

        response, body = server.request("/healthz", {"Host": "10.0.3.7",  # a checker, by IP
                                                     "X-Forwarded-Proto": "http"})
        assert response.status == 200
        assert json.loads(body) == {
            "status": "ok", "checks": {"database": "ok", "cache": "ok", "jobs": "ok"}}
        request_id = response.getheader("X-Request-ID")

        # Static files: whitenoise, compressed, hashed names cached for good.
        response, body = server.request("/static/admin/css/base.css",
                                        {"Accept-Encoding": "gzip"})
        assert response.status == 200
        assert response.getheader("Content-Type").startswith("text/css")
        assert response.getheader("Content-Encoding") == "gzip"
        manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
        hashed = manifest["paths"]["admin/css/base.css"]
        response, _ = server.request(f"/static/{hashed}")
        assert response.status == 200
        assert "immutable" in response.getheader("Cache-Control")

        # Production security: plain HTTP is redirected, HTTPS gets HSTS.
        response, _ = server.request("/admin/login/", {"X-Forwarded-Proto": "http"})
        assert (response.status, response.getheader("Location")) == (
            301, "https://roster.example.com/admin/login/")
        response, _ = server.request("/admin/login/")
        assert response.status == 200
        assert response.getheader("Strict-Transport-Security") == (
            "max-age=31536000; includeSubDomains; preload")

        response, _ = server.request("/scim/v2/Users", {"Authorization": f"Bearer {token}"})
        assert response.status == 401

        # The job worker runs beside gunicorn: an admin's add is emailed (console backend).
        assert manage(env, "create_org", "Acme", "--plan", "enterprise").returncode == 0
        added = manage(env, "add_member", "jane@acme.example", "--org", "acme")
        assert added.returncode == 0, added.stderr
        server.wait_for("Subject: You have been added to Acme on Roster")
        server.wait_for("To: jane@acme.example")
    finally:
        status = server.stop()
    assert status == 143, server.output()  # stopped by our SIGTERM, through bin/serve's trap
    with pytest.raises(OSError):
        server.request("/healthz")  # gunicorn is gone

    output = server.output()
    assert token not in output and token[15:] not in output
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    access = [x for x in lines if x["logger"] == "gunicorn.access"]
    [health] = [x for x in access if x["path"] == "/healthz" and x["status"] == 200
                and x["request_id"] == request_id]
    assert health["message"] == "GET /healthz 200" and health["duration_ms"] >= 0
    unauthorized = [x for x in lines if x["message"] == "Unauthorized: /scim/v2/Users"]
    assert unauthorized and unauthorized[0]["request_id"]
    assert any(x["logger"] == "gunicorn.error" and "Booting worker" in x["message"]
               for x in lines)
    assert any(x["logger"].startswith("django_tasks") and "state=SUCCESSFUL" in x["message"]
               for x in lines)

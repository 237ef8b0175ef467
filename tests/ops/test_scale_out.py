"""Scale-out, shown: two gunicorn instances (config/gunicorn.conf.py, two workers each) on their
own ports share one PostgreSQL database and one Redis, and requests alternate between them.

- the SCIM rate limit counts across both (the counter is in Redis);
- a signed SAML response accepted by one is refused as a replay by the other (consumed
  assertion ids are in the database);
- a token revoked in the admin of one is refused by the other at once (tokens are looked up in
  the database on every request).

PostgreSQL only (SQLite is the single-machine default; it skips there). In CI (``CI=true``)
a missing Redis or a server that does not start fails the test instead of skipping it.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import subprocess
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from orgs.audit import Actor
from orgs.models import AuditEvent, Organization, User
from scim.models import ScimRequest, ScimToken
from scim.services import scim_token_create
from sso import saml
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.ops.production import ROOT, free_port, production_env, redis_available
from tests.scim.ratelimit_helpers import fresh_window
from tests.sso.conftest import connect, good_response
from tests.sso.idp import TestIdP, encode

pytestmark = [
    pytest.mark.django_db(transaction=True),  # the servers must see what the test writes
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="scale-out runs on PostgreSQL; SQLite is one machine's database"),
]

HOST = "roster.example.com"  # README's production environment
BASE_URL = f"https://{HOST}"
REDIS_URL = "redis://127.0.0.1:6379/7"  # a database of its own on the shared Redis
PASSWORD = "scale-out-operator-password-42"


def cannot_run(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"the scale-out test must run in CI: {reason}")
    pytest.skip(reason)


class Instance:
    """One gunicorn, in its own process group, its output in a file (no pipe to fill up)."""

    def __init__(self, name: str, env: dict[str, str], tmp: Path) -> None:
        self.name = name
        self.port = free_port()
        self.log = tmp / f"{name}.log"
        self._out = self.log.open("w")
        self.process = subprocess.Popen(
            [env["PY"], "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"],
            cwd=ROOT, env={**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"},
            stdout=self._out, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.cookies: dict[str, str] = {}

    def output(self) -> str:
        return self.log.read_text()

    def request(self, method: str, path: str, body: bytes | str | None = None,
                headers: dict[str, str] | None = None) -> tuple[http.client.HTTPResponse, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            conn.request(method, path, body=body, headers={
                "Host": HOST, "X-Forwarded-Proto": "https",
                **({"Cookie": cookie} if cookie else {}), **(headers or {})})
            response = conn.getresponse()
            content = response.read()
        finally:
            conn.close()
        for header in response.msg.get_all("Set-Cookie") or []:
            for key, morsel in SimpleCookie(header).items():
                self.cookies[key] = morsel.value
        return response, content

    def scim_get(self, token: str, path: str = "/Users?count=1") -> http.client.HTTPResponse:
        return self.request("GET", "/scim/v2" + path, headers={
            "Authorization": f"Bearer {token}", "Accept": "application/scim+json"})[0]

    def wait_until_up(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn {self.name} exited with {self.process.returncode}:\n"
                            f"{self.output()}")
            with contextlib.suppress(OSError):
                if self.request("GET", "/healthz")[0].status == 200:
                    return
            time.sleep(0.2)
        pytest.fail(f"gunicorn {self.name} did not answer within {seconds} s:\n{self.output()}")

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        self._out.close()


def database_url() -> str:
    """The test database pytest-django made, as a URL for the servers."""
    db = connection.settings_dict
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return (f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
            f"{db['NAME']}")


@pytest.fixture
def instances(transactional_db, tmp_path):
    if not redis_available():
        cannot_run("no Redis at 127.0.0.1:6379")
    env = production_env(tmp_path, DATABASE_URL=database_url(), CACHE_URL=REDIS_URL,
                         GUNICORN_WORKERS="2")
    collected = subprocess.run([env["PY"], "manage.py", "collectstatic", "--noinput",
                                "--verbosity", "0"], cwd=ROOT, env=env, capture_output=True,
                               text=True, timeout=120)
    assert collected.returncode == 0, collected.stderr  # the admin's pages need the manifest
    pair = [Instance("a", env, tmp_path), Instance("b", env, tmp_path)]
    try:
        for instance in pair:
            instance.wait_until_up()
        yield pair
    finally:
        for instance in pair:
            instance.stop()


@pytest.fixture
def acme(settings, idp):
    settings.BASE_URL = BASE_URL  # what the servers derive the SAML ACS URL from
    org = OrganizationFactory(name="Acme", slug="acme", scim_enabled=True)
    connect(org, idp)
    return org


@pytest.fixture
def idp() -> TestIdP:
    return TestIdP()


def test_two_instances_share_the_rate_limit_the_saml_replay_guard_and_revocations(
    instances, acme, idp
):
    a, b = instances
    token = scim_token_create(organization=acme, actor=Actor.system(), description="Okta")

    # --- the rate limit counts across both instances -----------------------------------------
    Organization.objects.filter(pk=acme.pk).update(scim_rate_limit_per_minute=20)
    fresh_window(20)
    statuses = [(a if i % 2 == 0 else b).scim_get(token.plaintext).status for i in range(20)]
    assert statuses == [200] * 20  # 10 on each: neither alone is near the budget
    over_a, over_b = a.scim_get(token.plaintext), b.scim_get(token.plaintext)
    assert (over_a.status, over_b.status) == (429, 429)
    for response in (over_a, over_b):
        assert re.fullmatch(r"[1-9]\d*", response.getheader("Retry-After"))
        assert int(response.getheader("Retry-After")) <= 60
        assert response.getheader("Content-Type") == "application/scim+json"
    assert ScimRequest.objects.filter(organization=acme, status=200).count() == 20
    assert ScimRequest.objects.filter(organization=acme, status=429).count() == 2

    # --- SAML replay protection holds across both -----------------------------------------------
    user = UserFactory(email="test.user@okta.local", setup_completed_at=acme.created_at)
    MembershipFactory(organization=acme, user=user)
    xml = good_response(idp, acme, user.email)
    acs = f"/sso/saml/{acme.slug}/acs/"
    assert saml.acs_url(acme) == BASE_URL + acs
    form = urlencode({"SAMLResponse": encode(xml)})
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    first, _ = a.request("POST", acs, form, headers)
    replay, page = b.request("POST", acs, form, headers)
    assert first.status == 302
    assert replay.status == 403 and b"Sign-in refused" in page
    refusal = AuditEvent.objects.get(organization=acme, action="sso.login.refused")
    assert refusal.data["reason"] == "replay"
    assert AuditEvent.objects.filter(action="sso.login.succeeded").count() == 1

    # --- a token revoked on one instance is refused by the other at once ------------------------
    second = scim_token_create(organization=acme, actor=Actor.system(), description="Entra")
    assert (a.scim_get(second.plaintext).status, b.scim_get(second.plaintext).status) == (
        200, 200)
    operator = User.objects.create_superuser(email="ops@roster.example")
    User.objects.filter(pk=operator.pk).update(  # the servers' hasher, not the suite's fast one
        password=PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt()))
    origin = {"Origin": BASE_URL, "Referer": BASE_URL + "/admin/"}
    a.request("GET", "/admin/login/")
    login, _ = a.request("POST", "/admin/login/?next=/admin/", urlencode({
        "username": operator.email, "password": PASSWORD,
        "csrfmiddlewaretoken": a.cookies["csrftoken"]}),
        {**headers, **origin})
    assert login.status == 302 and login.getheader("Location") == "/admin/", login.status
    revoke = f"/admin/orgs/organization/{acme.pk}/sso/provisioning/tokens/{second.token.pk}/revoke/"
    revoked, _ = a.request("POST", revoke, urlencode({
        "csrfmiddlewaretoken": a.cookies["csrftoken"]}), {**headers, **origin})
    assert revoked.status == 302
    assert b.scim_get(second.plaintext).status == 401  # the very next request, on the other
    assert a.scim_get(second.plaintext).status == 401
    assert ScimToken.objects.get(pk=second.token.pk).revoked_at is not None
    assert ScimRequest.objects.filter(organization=acme, status=401,
                                      token_prefix=second.token.prefix).count() == 2

    # Both instances answered, and neither logged a token.
    for instance in (a, b):
        access = [json.loads(line) for line in instance.output().splitlines()
                  if line.startswith("{") and '"gunicorn.access"' in line]
        assert sum(x["path"] == "/scim/v2/Users" for x in access) >= 12, instance.name
        for secret in (token.plaintext, second.plaintext):
            assert secret not in instance.output() and secret[15:] not in instance.output()

"""Fixtures shared by the whole suite."""

from __future__ import annotations

import io
import json
import logging

import pytest

from config.logs import JsonFormatter
from orgs.audit import Actor
from tests.factories import (
    AdminMembershipFactory,
    OrganizationFactory,
    SamlConnectionFactory,
)


@pytest.fixture(autouse=True)
def fast_password_hasher(settings) -> None:
    """PBKDF2 at production strength makes every login cost ~0.3 s; tests use a fast hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def generous_saml_login_rate(settings) -> None:
    """The suite starts many SAML logins from one address within seconds (and a locmem cache
    keeps counters from test to test); the rate-limit tests set the limits they test."""
    settings.SAML_LOGIN_RATE_PER_ADDRESS = 100_000
    settings.SAML_LOGIN_RATE_PER_ORG = 100_000


@pytest.fixture
def cache_in_memory(settings) -> None:
    """A process-local cache, empty, for tests that count database queries: in production the
    SCIM rate-limit counter lives in Redis, not in the database cache the suite defaults to."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def actor() -> Actor:
    return Actor.operator("pytest")


@pytest.fixture
def org(db):
    """An Enterprise organization with an active SAML connection and SCIM enabled."""
    organization = OrganizationFactory(name="Acme", slug="acme", scim_enabled=True)
    SamlConnectionFactory(organization=organization)
    return organization


@pytest.fixture
def other_org(db):
    organization = OrganizationFactory(name="Globex", slug="globex", scim_enabled=True)
    SamlConnectionFactory(organization=organization)
    return organization


@pytest.fixture
def org_admin(org):
    """An active admin membership of ``org`` whose user is staff with a known password."""
    return AdminMembershipFactory(organization=org)


@pytest.fixture
def log_lines():
    """Everything logged during the test, formatted as production formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


@pytest.fixture
def select_compilations(monkeypatch):
    """The models of the SELECTs the ORM compiles from here on (INSERT, UPDATE and DELETE have
    compilers of their own): what ``config.prepared_queries`` spares a repeated read."""
    from django.db.models.sql.compiler import SQLCompiler

    calls: list[str] = []
    original = SQLCompiler.as_sql

    def counted(self, *args, **kwargs):
        calls.append(self.query.model.__name__)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counted)
    return calls

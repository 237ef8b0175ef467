"""scim.services: the token's shape and storage, and last_used_at written at most once a
minute (not on every request)."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orgs.audit import Actor
from scim.models import ScimToken
from scim.services import PREFIX_LENGTH, scim_token_authenticate, scim_token_create
from tests.scim.conftest import ScimClient

pytestmark = pytest.mark.django_db


def test_token_is_256_random_bits_behind_a_prefix_and_only_its_hash_is_stored(org):
    created = scim_token_create(organization=org, actor=Actor.system(), description="Okta")
    plaintext = created.plaintext
    assert re.fullmatch(r"rst_scim_[A-Za-z0-9_-]{43}", plaintext)
    secret = base64.urlsafe_b64decode(plaintext[len("rst_scim_"):] + "=")
    assert len(secret) == 32  # 256 bits
    row = ScimToken.objects.values().get()
    assert row["token_hash"] == hashlib.sha256(plaintext.encode()).hexdigest()
    assert row["prefix"] == plaintext[:PREFIX_LENGTH]
    assert plaintext not in str(row) and plaintext[PREFIX_LENGTH:] not in str(row)
    other = scim_token_create(organization=org, actor=Actor.system(),
                              description="Okta 2").plaintext
    assert other != plaintext


def _token_writes(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries
            if q["sql"].lstrip().upper().startswith("UPDATE") and "scim_scimtoken" in q["sql"]]


def test_last_used_at_is_written_at_most_once_a_minute(org, token):
    scim = ScimClient(Client(), token)
    with CaptureQueriesContext(connection) as first:
        assert scim.get("/Users").status_code == 200
    assert len(_token_writes(first)) == 1
    with CaptureQueriesContext(connection) as burst:
        for _ in range(3):
            assert scim.get("/Users").status_code == 200
    assert _token_writes(burst) == []
    ScimToken.objects.update(last_used_at=timezone.now() - timedelta(seconds=61))
    with CaptureQueriesContext(connection) as later:
        scim.get("/Users")
    assert len(_token_writes(later)) == 1


def test_authenticate_refuses_unknown_expired_revoked_and_oversized(org, token):
    assert scim_token_authenticate(token) is not None
    assert scim_token_authenticate(token + "x") is None
    assert scim_token_authenticate("") is None
    assert scim_token_authenticate("x" * 10_000) is None
    ScimToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert scim_token_authenticate(token) is None
    ScimToken.objects.update(expires_at=None, revoked_at=timezone.now())
    assert scim_token_authenticate(token) is None

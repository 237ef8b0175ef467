"""Acceptance 3: the README's curl session runs as written: with a key made in the admin it
turns provisioning on, creates a SCIM token (which then provisions), and lists the latest SCIM
requests."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from django.test import Client

from tests.api.conftest import make_key

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"


def curl_commands(block_title: str) -> list[tuple[str, str, dict | None]]:
    """(method, path, JSON body) of each curl command in the sh block after ``block_title``."""
    text = README.read_text()
    block = text[text.index(block_title):]
    block = block[block.index("```sh") + 5: block.index("```", block.index("```sh") + 5)]
    commands = []
    for line in re.sub(r"\\\n\s*", " ", block).splitlines():
        if not line.strip().startswith("curl "):
            continue
        words = shlex.split(line.replace("$ROSTER", "").replace("$ROSTER_API_KEY", "KEY"))
        method = words[words.index("-X") + 1] if "-X" in words else "GET"
        path = next(w for w in words if w.startswith("/api/v1/"))
        body = json.loads(words[words.index("-d") + 1]) if "-d" in words else None
        assert "Authorization: Bearer $ROSTER_API_KEY" in line
        commands.append((method, path, body))
    return commands


def test_the_readme_session_works(org, org_admin, settings):
    settings.API_RATE_LIMIT = ""
    org.scim_enabled = False
    org.save()
    key = make_key(org_admin.user, orgs=[org])
    client = Client()
    answers = []
    for method, path, body in curl_commands("**A curl session**"):
        response = client.generic(method, path, json.dumps(body) if body else "",
                                  content_type="application/json",
                                  HTTP_AUTHORIZATION=f"Bearer {key}")
        assert response.status_code < 300, (method, path, response.content)
        answers.append(response.json())
        if "token" in answers[-1]:  # Okta, with the new token, provisions someone
            created = client.post("/scim/v2/Users", json.dumps({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "test.user@okta.local", "externalId": "00ujl29u0le5T6Aj10h7",
                "name": {"givenName": "Test", "familyName": "User"}, "active": True,
            }), content_type="application/scim+json",
                HTTP_AUTHORIZATION=f"Bearer {answers[-1]['token']}")
            assert created.status_code == 201
    assert [a.get("scim_enabled") for a in answers[:1]] == [True]
    assert answers[1]["token"].startswith("rst_scim_")
    assert [e["action"] for e in answers[2]["results"]] == ["scim.user.created"]

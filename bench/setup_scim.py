"""Turn SCIM on for the benchmark's organization and print a new token (run by bench/run.py
with the server's environment). A benchmark database only: the SAML connection it needs
first is written directly, as the tests' factories do; everything else goes through the
services."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.utils import timezone  # noqa: E402

from orgs.audit import Actor  # noqa: E402
from orgs.models import Organization  # noqa: E402
from scim.services import organization_set_scim_enabled, scim_token_create  # noqa: E402
from sso.models import SamlConnection  # noqa: E402

org = Organization.objects.get(slug=sys.argv[1])
actor = Actor.operator("bench")
SamlConnection.objects.get_or_create(organization=org, defaults={
    "is_active": True, "configured_at": timezone.now(),
    "idp_entity_id": "http://www.okta.com/bench", "idp_sso_url": "https://okta.example/sso"})
organization_set_scim_enabled(organization=org, enabled=True, actor=actor)
print(scim_token_create(organization=org, actor=actor, description="bench", ttl_days=0).plaintext)

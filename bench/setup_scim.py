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
from scim.services import (  # noqa: E402
    organization_set_scim_enabled,
    organization_set_scim_rate_limit,
    scim_token_create,
)
from sso.models import SamlConnection  # noqa: E402

org = Organization.objects.get(slug=sys.argv[1])
actor = Actor.operator("bench")
SamlConnection.objects.get_or_create(organization=org, defaults={
    "is_active": True, "configured_at": timezone.now(),
    "idp_entity_id": "http://www.okta.com/bench", "idp_sso_url": "https://okta.example/sso"})
organization_set_scim_enabled(organization=org, enabled=True, actor=actor)
# The benchmark measures throughput, not back-pressure: the highest budget an admin can set
# (the default 6,000 a minute is below what two workers now serve).
organization_set_scim_rate_limit(organization=org, per_minute=60_000, actor=actor)
print(scim_token_create(organization=org, actor=actor, description="bench", ttl_days=0).plaintext)

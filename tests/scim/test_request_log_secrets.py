"""The acceptance cases of the request log, end to end: a revoked token, ``Bearer Bearer …``,
SCIM switched off, a 409 and a 429 are each recorded, and the token appears in no log record,
no log line, no audit event and no page an admin or operator can open."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from orgs.audit import Actor
from orgs.models import AuditEvent, Organization
from scim.models import ScimRequest, ScimToken
from scim.services import scim_token_create, scim_token_revoke
from tests.admin_sso.conftest import client_for
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.scim.conftest import ScimClient
from tests.scim.ratelimit_helpers import fresh_window
from tests.scim.test_okta_aiw import OKTA_USER

pytestmark = pytest.mark.django_db


def test_the_acceptance_cases_are_recorded_and_no_token_leaks(org, org_admin, log_lines):
    live = scim_token_create(organization=org, actor=Actor.system(), description="Okta")
    revoked = scim_token_create(organization=org, actor=Actor.system(), description="Old")
    scim_token_revoke(token=ScimToken.objects.get(pk=revoked.token.pk), actor=Actor.system())
    okta = ScimClient(Client(), live.plaintext)
    Organization.objects.filter(pk=org.pk).update(scim_rate_limit_per_minute=4)
    fresh_window()

    statuses = {
        "revoked": ScimClient(Client(), revoked.plaintext).get("/Users").status_code,
        "bearer twice": ScimClient(Client(), f"Bearer {live.plaintext}").get("/Users")
        .status_code,
        "created": okta.post("/Users", OKTA_USER).status_code,
        "conflict": okta.post("/Users", OKTA_USER).status_code,
    }
    Organization.objects.filter(pk=org.pk).update(scim_enabled=False)
    statuses["off"] = okta.get("/Users").status_code
    Organization.objects.filter(pk=org.pk).update(scim_enabled=True)
    statuses["throttled"] = [okta.get("/Users").status_code for _ in range(3)][-1]
    assert statuses == {"revoked": 401, "bearer twice": 401, "created": 201, "conflict": 409,
                        "off": 403, "throttled": 429}
    records = list(ScimRequest.objects.order_by("id"))
    assert [(r.status, r.organization_id) for r in records] == [
        (401, org.pk), (401, org.pk), (201, org.pk), (409, org.pk), (403, org.pk),
        (200, org.pk), (200, org.pk), (429, org.pk)]

    # Every page that shows them, to the org's admin and to an operator.
    admin = client_for(org_admin.user)
    operator = client_for(UserFactory(is_staff=True, is_superuser=True,
                                      password=DEFAULT_PASSWORD))
    sso = "admin:orgs_organization_"
    pages = [
        (admin, reverse(sso + "sso_provisioning", args=[org.pk])),
        (admin, reverse(sso + "scim_requests", args=[org.pk])),
        (admin, reverse(sso + "scim_tokens", args=[org.pk])),
        (admin, reverse("admin:orgs_auditevent_changelist")),
        (operator, reverse("admin:scim_scimrequest_changelist")),
        *[(admin, reverse(sso + "scim_request", args=[org.pk, r.pk])) for r in records],
        *[(operator, reverse("admin:scim_scimrequest_change", args=[r.pk])) for r in records],
        *[(operator, reverse("admin:orgs_auditevent_change", args=[e.pk]))
          for e in AuditEvent.objects.all()],
    ]
    html = ""
    for client, page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        html += response.content.decode()
    assert "The Authorization header says “Bearer” twice." in html
    assert "SCIM provisioning is turned off for this organization." in html

    stored = json.dumps([[str(getattr(r, f.attname)) for f in ScimRequest._meta.concrete_fields]
                         for r in records])
    events = json.dumps(list(AuditEvent.objects.values()), default=str)
    lines = json.dumps(log_lines(), ensure_ascii=False)  # every line, as production writes it
    assert "Unauthorized: /scim/v2/Users" in lines
    for secret in (live.plaintext, revoked.plaintext):
        for where, text in (("record", stored), ("audit event", events), ("log line", lines),
                            ("page", html)):
            assert secret not in text, where
            assert secret[15:] not in text, where  # not even the part after the prefix

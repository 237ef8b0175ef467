"""``manage.py scim_token`` and ``manage.py scim``: each success and failure path."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from orgs.models import AuditEvent, Organization
from orgs.plans import Plan
from scim.models import ScimToken
from scim.services import hash_token
from tests.factories import OrganizationFactory, SamlConnectionFactory, ScimTokenFactory
from tests.scim.conftest import ScimClient

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_prints_url_and_token_once_and_the_token_works(org, settings):
    settings.BASE_URL = "https://roster.example.com"
    out = run("scim_token", "create", "--org", "acme", "--description", "Okta prod",
              "--ttl-days", "30")
    url = re.search(r"^SCIM URL:   (\S+)$", out, re.M).group(1)
    plaintext = re.search(r"^SCIM token: (\S+)$", out, re.M).group(1)
    assert url == "https://roster.example.com/scim/v2"
    token = ScimToken.objects.get()
    assert token.token_hash == hash_token(plaintext)
    assert token.description == "Okta prod" and token.ttl_days == 30
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert "it is not shown again" in out
    assert ScimClient(Client(), plaintext).get("/Users").status_code == 200
    assert plaintext not in run("scim_token", "list", "--org", "acme")
    event = AuditEvent.objects.get(action="scim.token.created")
    assert event.actor_kind == "operator"


def test_create_never_expiring(org):
    out = run("scim_token", "create", "--org", "acme", "--ttl-days", "0", "--description", "Okta")
    assert "never expires" in out
    assert ScimToken.objects.get().expires_at is None


@pytest.mark.parametrize("args,message", [
    (["--org", "nope"], "No organization with slug 'nope'."),
    (["--org", "acme", "--ttl-days", "-1", "--description", "Okta"],
     "The TTL must be between 0 (never expires) and 3650 days."),
    (["--org", "acme", "--ttl-days", "5000", "--description", "Okta"],
     "The TTL must be between 0 (never expires) and 3650 days."),
    (["--org", "acme", "--description", "x" * 101],
     "The description must be at most 100 characters."),
    (["--org", "acme"], "Give the token a description"),
    (["--org", "acme", "--description", "   "], "Give the token a description"),
    (["--org", "acme", "--description", "Okta\u202eatkO"],
     "The description contains a bidirectional control character (U+202E)."),
])
def test_create_failures(org, args, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        run("scim_token", "create", *args)
    assert not ScimToken.objects.exists()


def test_create_needs_org_and_integer_ttl(org):
    with pytest.raises(CommandError):
        run("scim_token", "create")
    with pytest.raises(CommandError):
        run("scim_token", "create", "--org", "acme", "--ttl-days", "ten")


def test_list(org, other_org):
    assert run("scim_token", "list", "--org", "acme") == "No SCIM tokens for acme.\n"
    active = ScimTokenFactory(organization=org, description="Okta")
    revoked = ScimTokenFactory(organization=org, description="old", revoked_at=timezone.now())
    ScimTokenFactory(organization=other_org, description="theirs")
    out = run("scim_token", "list", "--org", "acme")
    assert active.prefix in out and revoked.prefix in out and "theirs" not in out
    assert re.search(rf"{active.pk}\s+{active.prefix}\s+active", out)
    assert re.search(rf"{revoked.pk}\s+{revoked.prefix}\s+revoked", out)
    with pytest.raises(CommandError, match="No organization with slug 'x'."):
        run("scim_token", "list", "--org", "x")


def test_revoke_by_id_and_by_prefix(org):
    first = ScimTokenFactory(organization=org, prefix="rst_scim_abc123")
    second = ScimTokenFactory(organization=org, prefix="rst_scim_abd456")
    out = run("scim_token", "revoke", str(first.pk))
    assert out == f"Revoked token {first.pk} (rst_scim_abc123…).\n"
    assert run("scim_token", "revoke", "rst_scim_abd") == (
        f"Revoked token {second.pk} (rst_scim_abd456…).\n"
    )
    assert run("scim_token", "revoke", "rst_scim_abd456…") == (
        f"Token {second.pk} (rst_scim_abd456…) was already revoked.\n"
    )
    assert AuditEvent.objects.filter(action="scim.token.revoked").count() == 2


def test_revoke_failures(org):
    ScimTokenFactory(organization=org, prefix="rst_scim_abc123")
    ScimTokenFactory(organization=org, prefix="rst_scim_abd456")
    with pytest.raises(CommandError, match="2 tokens start with 'rst_scim_ab'; give the id"):
        run("scim_token", "revoke", "rst_scim_ab")
    with pytest.raises(CommandError, match="No SCIM token with id or prefix 'rst_scim_zzz'."):
        run("scim_token", "revoke", "rst_scim_zzz")
    with pytest.raises(CommandError, match="No SCIM token with id or prefix '999999'."):
        run("scim_token", "revoke", "999999")
    assert not ScimToken.objects.filter(revoked_at__isnull=False).exists()


def test_scim_enable_and_disable(db):
    org = OrganizationFactory(slug="initech", scim_enabled=False)
    SamlConnectionFactory(organization=org)
    assert run("scim", "enable", "--org", "initech") == "SCIM provisioning enabled for initech.\n"
    assert Organization.objects.get(slug="initech").scim_enabled is True
    assert run("scim", "disable", "--org", "initech") == (
        "SCIM provisioning disabled for initech.\n"
    )
    assert Organization.objects.get(slug="initech").scim_enabled is False
    assert list(AuditEvent.objects.filter(organization=org).values_list("action", flat=True)
                .order_by("id")) == ["org.scim.enabled", "org.scim.disabled"]


def test_scim_enable_failures(db):
    OrganizationFactory(slug="free", plan=Plan.FREE)
    with pytest.raises(CommandError, match="SCIM provisioning is an Enterprise feature"):
        run("scim", "enable", "--org", "free")
    OrganizationFactory(slug="nosaml")
    with pytest.raises(CommandError, match="Configure and activate SAML SSO first"):
        run("scim", "enable", "--org", "nosaml")
    with pytest.raises(CommandError, match="No organization with slug 'ghost'."):
        run("scim", "enable", "--org", "ghost")
    with pytest.raises(CommandError):
        run("scim", "toggle", "--org", "free")
    assert not Organization.objects.filter(scim_enabled=True).exists()


@pytest.mark.django_db(transaction=True)  # run_from_argv closes the connection at the end
def test_command_failure_is_one_line_on_stderr_and_nonzero_exit(capsys):
    """As from a shell: ``run_from_argv`` is what ``manage.py`` calls."""
    from scim.management.commands.scim import Command as ScimCommand
    from scim.management.commands.scim_token import Command as TokenCommand

    for command, argv in (
        (TokenCommand(), ["manage.py", "scim_token", "list", "--org", "no-such-org"]),
        (ScimCommand(), ["manage.py", "scim", "enable", "--org", "no-such-org"]),
    ):
        with pytest.raises(SystemExit) as exit_info:
            command.run_from_argv(argv)
        assert exit_info.value.code == 1
        assert capsys.readouterr().err.strip().splitlines() == [
            "CommandError: No organization with slug 'no-such-org'."
        ]


def test_scim_rate_limit_shows_and_sets_the_budget(org):
    assert run("scim", "rate-limit", "--org", "acme") == (
        "SCIM rate limit of acme: 6000 requests per minute per token.\n")
    assert run("scim", "rate-limit", "--org", "acme", "--per-minute", "1500") == (
        "SCIM rate limit of acme: 1500 requests per minute per token.\n")
    assert Organization.objects.get(slug="acme").scim_rate_limit_per_minute == 1500
    event = AuditEvent.objects.get(action="org.scim.rate_limit_changed")
    assert (event.actor_kind, event.actor_label, event.data) == (
        "operator", "manage.py", {"per_minute": [6000, 1500]})


@pytest.mark.parametrize("args,message", [
    (["--org", "acme", "--per-minute", "lots"],
     "--per-minute must be a whole number of requests, not 'lots'."),
    (["--org", "acme", "--per-minute", "1.5"],
     "--per-minute must be a whole number of requests, not '1.5'."),
    (["--org", "acme", "--per-minute", "10"],
     "The SCIM rate limit must be between 60 and 60,000 requests per minute."),
    (["--org", "acme", "--per-minute", "1000000"],
     "The SCIM rate limit must be between 60 and 60,000 requests per minute."),
    (["--org", "ghost", "--per-minute", "600"], "No organization with slug 'ghost'."),
])
def test_scim_rate_limit_failures(org, args, message):
    with pytest.raises(CommandError) as failed:
        run("scim", "rate-limit", *args)
    assert str(failed.value) == message
    assert Organization.objects.get(slug="acme").scim_rate_limit_per_minute == 6000
    assert not AuditEvent.objects.filter(action="org.scim.rate_limit_changed").exists()

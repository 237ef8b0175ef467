"""Operator commands: success paths, and bad input as one clear line with a non-zero exit."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from orgs.models import AuditEvent, Group, Membership, Organization, User
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_org():
    out = run("create_org", "Initech", "--plan", "enterprise", "--default-role", "no-access")
    org = Organization.objects.get(slug="initech")
    assert (org.plan, org.default_role) == ("enterprise", "no-access")
    assert f"slug initech, id {org.pk}" in out
    assert AuditEvent.objects.get(action="org.created").actor_kind == "operator"


def test_create_org_failures():
    OrganizationFactory(slug="acme")
    with pytest.raises(CommandError, match="slug 'acme' already exists"):
        run("create_org", "Acme")
    with pytest.raises(CommandError, match="invalid choice"):
        run("create_org", "X", "--plan", "gold")
    assert Organization.objects.count() == 1


def test_add_member_and_list_members():
    org = OrganizationFactory(slug="acme")
    out = run("add_member", "Jane@Example.com", "--org", "acme", "--role", "admin",
              "--first-name", "Jane")
    m = Membership.objects.get(organization=org)
    assert (m.user.email, m.role, m.status) == ("Jane@example.com", "admin", "invited")
    assert "Added Jane@example.com to acme as admin" in out
    group = Group.objects.create(organization=org, display_name="Eng")
    group.members.add(m)
    lines = run("list_members", "--org", "acme", "--json").strip().splitlines()
    assert [json.loads(line) for line in lines] == [{
        "id": str(m.pk), "email": "Jane@example.com", "role": "admin", "status": "invited",
        "active": True, "source": "manual", "groups": ["Eng"],
    }]
    table = run("list_members", "--org", "acme")
    assert table.strip() == "Jane@example.com\tadmin\tinvited\tactive\tmanual\tEng"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add_member", "a@example.com", "--org", "nope"], "No organization with slug 'nope'"),
        (["add_member", "not-an-email", "--org", "acme"], "is not a valid email address"),
        (["add_member", "dup@example.com", "--org", "acme"], "already a member"),
        (["list_members", "--org", "nope"], "No organization"),
        (["deactivate_member", "ghost@example.com", "--org", "acme"], "not a member of acme"),
        (["deactivate_member", "dup@example.com", "--org", "nope"], "No organization"),
    ],
)
def test_command_failures(args, message):
    org = OrganizationFactory(slug="acme")
    MembershipFactory(organization=org, user__email="dup@example.com")
    before = (Membership.objects.count(), User.objects.count(), AuditEvent.objects.count())
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert (Membership.objects.count(), User.objects.count(), AuditEvent.objects.count()) == before


def test_deactivate_and_reactivate_member():
    m = MembershipFactory(organization=OrganizationFactory(slug="acme"),
                          user__email="jo@example.com")
    assert "Deactivated jo@example.com" in run("deactivate_member", "JO@example.com",
                                               "--org", "acme")
    m.refresh_from_db()
    assert not m.is_active
    assert "jo@example.com" in run("list_members", "--org", "acme", "--inactive")
    run("deactivate_member", "jo@example.com", "--org", "acme", "--reactivate")
    m.refresh_from_db()
    assert m.is_active
    actions = AuditEvent.objects.order_by("created_at", "id").values_list("action", flat=True)
    assert list(actions) == ["membership.deactivated", "membership.reactivated"]


def test_seed_demo_is_idempotent(tmp_path, settings, monkeypatch):
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "demo-password-123")
    first = run("seed_demo")
    counts = (Organization.objects.count(), User.objects.count(), Membership.objects.count(),
              Group.objects.count())
    second = run("seed_demo")
    assert counts == (
        Organization.objects.count(), User.objects.count(), Membership.objects.count(),
        Group.objects.count(),
    )
    assert counts == (1, 5, 5, 2)
    org = Organization.objects.get(slug="acme")
    assert org.plan == "enterprise"
    for out in (first, second):
        assert "email:    admin@acme.example" in out
        assert "password: demo-password-123" in out
    admin = User.objects.get(email="admin@acme.example")
    assert admin.check_password("demo-password-123") and admin.is_superuser


def test_seed_demo_printed_credentials_log_in_to_the_admin(client, monkeypatch, tmp_path,
                                                          settings):
    """The credentials `make run` prints are the ones that open the admin."""
    monkeypatch.delenv("DEMO_ADMIN_PASSWORD", raising=False)
    settings.BASE_DIR = tmp_path  # the generated password file goes to tmp_path/db/
    out = run("seed_demo")
    email = out.split("email:")[1].split()[0]
    password = out.split("password:")[1].split()[0]
    assert run("seed_demo").split("password:")[1].split()[0] == password
    response = client.post("/admin/login/?next=/admin/", {"username": email,
                                                          "password": password})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert "Memberships" in client.get("/admin/").content.decode()


def test_command_error_is_one_line_and_exit_code_is_nonzero(tmp_path):
    """Through a real process: one line on stderr, exit status 1, no traceback."""
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
           "DJANGO_SETTINGS_MODULE": "config.settings"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env,
                   check=True)
    result = subprocess.run(
        [sys.executable, "manage.py", "add_member", "x@example.com", "--org", "nope"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "CommandError: No organization with slug 'nope'."

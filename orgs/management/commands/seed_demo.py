"""Seed the demo organization for `make run`. Safe to run again: it creates only what is
missing, and prints the admin's credentials every time."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from orgs import services
from orgs.management.commands._base import OperatorCommand
from orgs.models import (
    Group,
    Membership,
    MembershipStatus,
    Organization,
    Role,
    User,
    account_email_is,
)
from orgs.plans import Plan
from orgs.text import fold

ADMIN_EMAIL = "admin@acme.example"
MEMBERS = [
    ("ada@acme.example", "Ada", "Lovelace", Role.ADMIN),
    ("grace@acme.example", "Grace", "Hopper", Role.MEMBER),
    ("alan@acme.example", "Alan", "Turing", Role.MEMBER),
    ("katherine@acme.example", "Katherine", "Johnson", Role.NO_ACCESS),
]
GROUPS = {
    "Engineering": ["ada@acme.example", "grace@acme.example", "alan@acme.example"],
    "Research": ["katherine@acme.example", "alan@acme.example"],
}


def _password_file() -> Path:
    return Path(settings.BASE_DIR) / "db" / ".demo-admin-password"


def _demo_password() -> str:
    """The demo admin's password: $DEMO_ADMIN_PASSWORD, else one generated once and kept next
    to the local database so that every `make run` can print it."""
    if os.environ.get("DEMO_ADMIN_PASSWORD"):
        return os.environ["DEMO_ADMIN_PASSWORD"]
    path = _password_file()
    if path.exists():
        return path.read_text().strip()
    password = secrets.token_urlsafe(12)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(password + "\n")
    path.chmod(0o600)
    return password


class Command(OperatorCommand):
    help = "Create the demo organization Acme (Enterprise plan), its admin, members and groups."

    @transaction.atomic
    def handle(self, *args: Any, **opts: Any) -> None:
        org = Organization.objects.filter(slug="acme").first()
        if org is None:
            org = services.organization_create(
                name="Acme", slug="acme", plan=Plan.ENTERPRISE, actor=self.actor
            )
        password = _demo_password()
        admin = User.objects.filter(account_email_is(ADMIN_EMAIL)).first()
        if admin is None:
            admin = User.objects.create_superuser(
                email=ADMIN_EMAIL, password=password, first_name="Demo", last_name="Admin"
            )
        password_ok = admin.check_password(password)
        existing = set(
            Membership.objects.filter(organization=org).values_list("email", flat=True)
        )
        seats = [(ADMIN_EMAIL, "Demo", "Admin", Role.ADMIN), *MEMBERS]
        for email, first, last, role in seats:
            if email not in existing:
                services.membership_add(
                    organization=org, email=email, first_name=first, last_name=last,
                    role=role, status=MembershipStatus.ACCEPTED, actor=self.actor,
                    send_invitation=False,
                )
        for name, emails in GROUPS.items():
            group = Group.objects.filter(organization=org, display_name_key=fold(name)).first()
            if group is None:
                group = services.group_create(
                    organization=org, display_name=name, actor=self.actor
                )
            members = Membership.objects.filter(organization=org, email__in=emails)
            services.group_change_members(group=group, add=members, actor=self.actor)

        self.stdout.write(f"Demo organization: {org.name} ({org.get_plan_display()} plan)")
        self.stdout.write(f"Admin login: {settings.BASE_URL}/admin/")
        self.stdout.write(f"  email:    {ADMIN_EMAIL}")
        if password_ok:
            self.stdout.write(f"  password: {password}")
        else:
            self.stdout.write("  password: (changed since the demo was seeded)")

"""Seed the demo organization for `make run`. Safe to run again: it creates only what is
missing, and prints both logins every time.

Two logins, because SAML SSO never signs in an operator: the operator (a superuser, who sees
every organization) and Ada, an admin of Acme only, who can press Test login on the SAML tab.
The demo members are invitations, as an IdP's or an admin's would be: each, Ada included,
creates their encryption key at their first sign-in before using Acme (account setup)."""

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
)
from orgs.plans import Plan
from orgs.text import fold

ADMIN_EMAIL = "admin@acme.example"  # the operator (superuser)
ORG_ADMIN_EMAIL = "ada@acme.example"  # Acme's own admin, who can test SAML SSO
MEMBERS = [
    (ORG_ADMIN_EMAIL, "Ada", "Lovelace", Role.ADMIN),
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
    """The demo logins' password: $DEMO_ADMIN_PASSWORD, else one generated once and kept next
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
    help = ("Create the demo organization Acme (Enterprise plan), its operator and org admin "
            "logins, members and groups.")

    @transaction.atomic
    def handle(self, *args: Any, **opts: Any) -> None:
        org = Organization.objects.filter(slug="acme").first()
        if org is None:
            org = services.organization_create(
                name="Acme", slug="acme", plan=Plan.ENTERPRISE, actor=self.actor
            )
        password = _demo_password()
        operator = services.user_password_login_ensure(
            email=ADMIN_EMAIL, password=password, first_name="Demo", last_name="Operator",
            superuser=True, actor=self.actor,
        )
        ada = services.user_password_login_ensure(
            email=ORG_ADMIN_EMAIL, password=password, first_name="Ada", last_name="Lovelace",
            staff=True, actor=self.actor,
        )
        existing = set(
            Membership.objects.filter(organization=org).values_list("email", flat=True)
        )
        seats = [(ADMIN_EMAIL, "Demo", "Operator", Role.ADMIN, MembershipStatus.ACCEPTED)]
        seats += [(*member, MembershipStatus.INVITED) for member in MEMBERS]
        for email, first, last, role, status in seats:
            if email not in existing:
                services.membership_add(
                    organization=org, email=email, first_name=first, last_name=last,
                    role=role, status=status, actor=self.actor, send_invitation=False,
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
        self._login("Operator (superuser: every organization; SSO never signs in an operator)",
                    operator, password)
        self._login(f"Org admin of {org.name} (creates an encryption key at first login; "
                    "use this login for Test login on the SAML tab)", ada, password)

    def _login(self, title: str, user: User, password: str) -> None:
        self.stdout.write(f"  {title}:")
        self.stdout.write(f"    email:    {user.email}")
        if user.check_password(password):
            self.stdout.write(f"    password: {password}")
        else:
            self.stdout.write("    password: (changed since the demo was seeded)")

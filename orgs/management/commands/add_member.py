from __future__ import annotations

from typing import Any

from orgs import services
from orgs.management.commands._base import OperatorCommand, get_org
from orgs.models import Role


class Command(OperatorCommand):
    help = "Add a person to an organization (the user is created if the email is new)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email")
        parser.add_argument("--org", required=True, help="organization slug")
        parser.add_argument("--role", default=None, choices=Role.values,
                            help="default: the organization's default role")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--no-invite", action="store_true",
                            help="do not send the invitation email")

    def handle(self, *args: Any, **opts: Any) -> None:
        org = get_org(opts["org"])
        membership = services.membership_add(
            organization=org, email=opts["email"], role=opts["role"],
            first_name=opts["first_name"], last_name=opts["last_name"], actor=self.actor,
            send_invitation=not opts["no_invite"],
        )
        self.stdout.write(
            f"Added {membership.email} to {org.slug} as {membership.role} "
            f"(membership {membership.pk})."
        )

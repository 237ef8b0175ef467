from __future__ import annotations

from typing import Any

from orgs import services
from orgs.management.commands._base import OperatorCommand
from orgs.models import Role
from orgs.plans import Plan


class Command(OperatorCommand):
    help = "Create an organization."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name")
        parser.add_argument("--slug", default="")
        parser.add_argument("--plan", default=Plan.FREE, choices=Plan.values)
        parser.add_argument("--default-role", default=Role.MEMBER, choices=Role.values)

    def handle(self, *args: Any, **opts: Any) -> None:
        org = services.organization_create(
            name=opts["name"], slug=opts["slug"], plan=opts["plan"],
            default_role=opts["default_role"], actor=self.actor,
        )
        self.stdout.write(f"Created organization {org.name} (slug {org.slug}, id {org.pk}).")

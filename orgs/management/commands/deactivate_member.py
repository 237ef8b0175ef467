from __future__ import annotations

from typing import Any

from orgs import services
from orgs.management.commands._base import OperatorCommand, get_membership, get_org


class Command(OperatorCommand):
    help = "Deactivate (or with --reactivate, reactivate) a member; nothing else is changed."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email")
        parser.add_argument("--org", required=True, help="organization slug")
        parser.add_argument("--reactivate", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        org = get_org(opts["org"])
        membership = get_membership(org, opts["email"])
        if opts["reactivate"]:
            services.membership_reactivate(membership=membership, actor=self.actor)
            self.stdout.write(f"Reactivated {membership.email} in {org.slug}.")
        else:
            services.membership_deactivate(membership=membership, actor=self.actor)
            self.stdout.write(f"Deactivated {membership.email} in {org.slug}.")

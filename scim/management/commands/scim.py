"""``manage.py scim enable|disable --org <slug>``: turn SCIM provisioning on or off.

Enabling needs the Enterprise plan and an active SAML connection (the service says which is
missing); disabling leaves tokens and provisioned data untouched.
"""

from __future__ import annotations

from typing import Any

from orgs.management.commands._base import OperatorCommand, get_org
from scim.services import organization_set_scim_enabled


class Command(OperatorCommand):
    help = "Turn SCIM provisioning on or off for an organization."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["enable", "disable"])
        parser.add_argument("--org", required=True, help="organization slug")

    def handle(self, *args: Any, **opts: Any) -> None:
        org = get_org(opts["org"])
        enabled = opts["action"] == "enable"
        organization_set_scim_enabled(organization=org, enabled=enabled, actor=self.actor)
        state = "enabled" if enabled else "disabled"
        self.stdout.write(f"SCIM provisioning {state} for {org.slug}.")

"""``manage.py scim enable|disable --org <slug>``: turn SCIM provisioning on or off.
``manage.py scim rate-limit --org <slug> [--per-minute N]``: show or set the organization's
SCIM rate limit (requests per minute per token).

Enabling needs the Enterprise plan and an active SAML connection (the service says which is
missing); disabling leaves tokens and provisioned data untouched. Both changes are audited.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from orgs.management.commands._base import OperatorCommand, get_org
from scim.services import (
    MAX_RATE_LIMIT,
    MIN_RATE_LIMIT,
    organization_set_scim_enabled,
    organization_set_scim_rate_limit,
)


class Command(OperatorCommand):
    help = "Turn SCIM provisioning on or off for an organization, or set its SCIM rate limit."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for action in ("enable", "disable"):
            toggle = sub.add_parser(action, help=f"{action} SCIM provisioning")
            toggle.add_argument("--org", required=True, help="organization slug")
        rate = sub.add_parser("rate-limit", help="show or set the SCIM rate limit")
        rate.add_argument("--org", required=True, help="organization slug")
        rate.add_argument("--per-minute",
                          help=f"requests per minute per token, {MIN_RATE_LIMIT}-"
                               f"{MAX_RATE_LIMIT} (omit to show the current limit)")

    def handle(self, *args: Any, **opts: Any) -> None:
        org = get_org(opts["org"])
        if opts["action"] == "rate-limit":
            self._rate_limit(org, opts["per_minute"])
            return
        enabled = opts["action"] == "enable"
        organization_set_scim_enabled(organization=org, enabled=enabled, actor=self.actor)
        state = "enabled" if enabled else "disabled"
        self.stdout.write(f"SCIM provisioning {state} for {org.slug}.")

    def _rate_limit(self, org: Any, per_minute: str | None) -> None:
        if per_minute is not None:
            try:
                value = int(per_minute.strip())
            except ValueError:
                raise CommandError(
                    f"--per-minute must be a whole number of requests, not {per_minute!r}."
                ) from None
            organization_set_scim_rate_limit(organization=org, per_minute=value,
                                             actor=self.actor)
        self.stdout.write(f"SCIM rate limit of {org.slug}: {org.scim_rate_limit_per_minute} "
                          "requests per minute per token.")

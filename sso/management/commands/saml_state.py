"""``manage.py saml_state prune``: delete expired SAML sign-in state.

Pending AuthnRequests and consumed assertion ids are kept only until they expire
(``sso.services.state``); the job scheduler runs this hourly, so their tables stay small.
Expired rows decide nothing, so running it late or twice is harmless.
"""

from __future__ import annotations

from typing import Any

from orgs.management.commands._base import OperatorCommand
from sso.services.state import saml_state_prune


class Command(OperatorCommand):
    help = "Delete expired SAML pending requests and consumed assertion ids."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["prune"])

    def handle(self, *args: Any, **opts: Any) -> None:
        result = saml_state_prune()
        self.stdout.write(
            f"Deleted {result.pending_requests} expired pending SAML request(s) and "
            f"{result.consumed_assertions} expired consumed assertion id(s)."
        )

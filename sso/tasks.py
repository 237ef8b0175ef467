"""Periodic jobs of the ``sso`` app (registered in ``jobs.registry``)."""

from __future__ import annotations

from dataclasses import asdict

from sso.services.state import saml_state_prune


def prune_saml_state() -> dict[str, int]:
    """Hourly: delete expired pending requests and spent assertion ids, so both tables stay
    bounded. Returns what was deleted (the job's recorded result)."""
    return asdict(saml_state_prune())

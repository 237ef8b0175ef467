"""Shared plumbing for the operator commands: domain errors become one clear line on stderr
and a non-zero exit (CommandError), never a traceback, and nothing is half-written because
each service runs in its own transaction."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from orgs.audit import Actor
from orgs.exceptions import DomainError
from orgs.models import Membership, Organization
from orgs.text import fold


class OperatorCommand(BaseCommand):
    actor = Actor.operator("manage.py")

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except DomainError as exc:
            raise CommandError(exc.message) from exc


def get_org(slug: str) -> Organization:
    org = Organization.objects.filter(slug=slug).first()
    if org is None:
        raise CommandError(f"No organization with slug {slug!r}.")
    return org


def get_membership(org: Organization, email: str) -> Membership:
    membership = (
        Membership.objects.select_related("user", "organization")
        .filter(organization=org, email_key=fold(email.strip()))
        .first()
    )
    if membership is None:
        raise CommandError(f"{email} is not a member of {org.slug}.")
    return membership

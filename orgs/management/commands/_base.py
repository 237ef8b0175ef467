"""Shared plumbing for the operator commands: domain errors become one clear line on stderr
and a non-zero exit (CommandError), never a traceback, and nothing is half-written because
each service runs in its own transaction. The listing commands (``audit_log``,
``scim_requests``) share how they read ``--since``/``--limit`` and print table cells."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from orgs.audit import Actor
from orgs.exceptions import DomainError
from orgs.models import Membership, Organization
from orgs.text import fold

DEFAULT_LIMIT = 100  # rows a listing command prints unless told
MAX_LIMIT = 10_000  # rows a listing command prints at most


class OperatorCommand(BaseCommand):
    actor = Actor.operator("manage.py")

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except DomainError as exc:
            raise CommandError(exc.message) from exc


class ListingCommand(OperatorCommand):
    """A command that lists rows (``audit_log``, ``scim_requests``): ``--limit`` and
    ``--json``, then a tab-separated table under a header, or one JSON object a line."""

    noun = "rows"  # "No <noun> match."
    columns: tuple[str, ...] = ()

    def add_listing_arguments(self, parser: Any, *, json_help: str = "one JSON object a line"
                              ) -> None:
        parser.add_argument("--limit", default=str(DEFAULT_LIMIT),
                            help=f"at most this many {self.noun}, 1-{MAX_LIMIT} "
                                 f"(default {DEFAULT_LIMIT})")
        parser.add_argument("--json", action="store_true", help=json_help)

    def write_rows(self, rows: Iterable[dict[str, Any]], *, as_json: bool,
                   table_line: Callable[[dict[str, Any]], str]) -> None:
        printed = False
        for row in rows:
            if as_json:
                self.stdout.write(json.dumps(row))
            else:
                if not printed:
                    self.stdout.write("\t".join(self.columns))
                self.stdout.write(table_line(row))
            printed = True
        if not printed and not as_json:
            self.stdout.write(f"No {self.noun} match.")


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


def parse_moment(value: str, option: str, *, end_of_day: bool) -> datetime:
    """An ISO date or datetime as an aware datetime; naive values are UTC. A bare date means
    the start of that day, or with ``end_of_day`` its last instant (``--until`` includes it)."""
    text = value.strip()
    try:
        day = parse_date(text) if len(text) == 10 else None
        moment = None if day else parse_datetime(text)
    except ValueError:
        day = moment = None
    if day is not None:
        if end_of_day:
            return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC) - (
                timedelta(microseconds=1)
            )
        return datetime.combine(day, time.min, tzinfo=UTC)
    if moment is None:
        raise CommandError(
            f"{option} {value!r} is not an ISO date or datetime "
            "(e.g. 2026-11-01 or 2026-11-01T09:30:00Z)."
        )
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)
    return moment


def parse_limit(value: str) -> int:
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise CommandError(f"--limit must be a whole number from 1 to {MAX_LIMIT}, not {value!r}.")
    return limit


def table_cell(value: str) -> str:
    """Printable characters as they are; tabs, newlines, escapes and the like as \\x.. codes."""
    if value.isprintable():
        return value or "-"
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in value)

"""``manage.py scim_token create|list|revoke|notify-expiring``: SCIM tokens from the command
line.

The plaintext token is printed once, at creation, next to the SCIM URL to paste into Okta;
lists, revocation and expiry notices identify a token by its id or its prefix, never by the
secret. ``notify-expiring`` is meant for a daily cron job: it emails each organization's admins
once about a token that expires soon.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from orgs.management.commands._base import OperatorCommand, get_org
from scim.models import ScimToken
from scim.services import (
    scim_token_create,
    scim_token_notify_expiring,
    scim_token_revoke,
)


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


class Command(OperatorCommand):
    help = "Create, list or revoke an organization's SCIM tokens; warn admins before expiry."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token and print it once")
        create.add_argument("--org", required=True, help="organization slug")
        create.add_argument("--description", default="", help="e.g. 'Okta production'")
        create.add_argument("--ttl-days", type=int, default=365,
                            help="days until it expires; 0 = never (default 365)")
        listing = sub.add_parser("list", help="list an organization's tokens")
        listing.add_argument("--org", required=True, help="organization slug")
        revoke = sub.add_parser("revoke", help="revoke a token by id or prefix")
        revoke.add_argument("token", help="the token's id, or its prefix as shown by list")
        notify = sub.add_parser(
            "notify-expiring",
            help="email the admins of each organization whose token expires soon (once a token)",
        )
        notify.add_argument("--days", type=int, default=14,
                            help="tokens expiring within this many days (default 14)")

    def handle(self, *args: Any, **opts: Any) -> None:
        getattr(self, f"_{opts['action'].replace('-', '_')}")(opts)

    def _create(self, opts: dict[str, Any]) -> None:
        org = get_org(opts["org"])
        created = scim_token_create(
            organization=org, actor=self.actor, description=opts["description"],
            ttl_days=opts["ttl_days"],
        )
        token = created.token
        self.stdout.write(f"SCIM URL:   {settings.BASE_URL}{settings.SCIM_PATH}")
        self.stdout.write(f"SCIM token: {created.plaintext}")
        expiry = f"expires {_when(token.expires_at)}" if token.expires_at else "never expires"
        self.stdout.write(
            f"Token {token.pk} ({token.prefix}…) for {org.slug}, {expiry}. "
            "Copy it now: it is not shown again."
        )

    def _list(self, opts: dict[str, Any]) -> None:
        org = get_org(opts["org"])
        tokens = ScimToken.objects.filter(organization=org).order_by("-created_at", "-id")
        if not tokens:
            self.stdout.write(f"No SCIM tokens for {org.slug}.")
            return
        self.stdout.write(
            f"{'id':>5}  {'prefix':<16} {'status':<8} {'created':<20} {'expires':<20} "
            f"{'last used':<20} description"
        )
        for t in tokens:
            self.stdout.write(
                f"{t.pk:>5}  {t.prefix:<16} {t.status:<8} {_when(t.created_at):<20} "
                f"{_when(t.expires_at):<20} {_when(t.last_used_at):<20} {t.description}"
            )

    def _revoke(self, opts: dict[str, Any]) -> None:
        key = opts["token"].strip()
        if not key:
            raise CommandError("Give a token id or prefix.")
        if key.isdigit():
            matches = list(ScimToken.objects.filter(pk=int(key)))
        else:
            matches = list(ScimToken.objects.filter(prefix__startswith=key.rstrip("…")))
        if not matches:
            raise CommandError(f"No SCIM token with id or prefix {key!r}.")
        if len(matches) > 1:
            raise CommandError(
                f"{len(matches)} tokens start with {key!r}; give the id or a longer prefix."
            )
        token = matches[0]
        if token.revoked_at is not None:
            self.stdout.write(f"Token {token.pk} ({token.prefix}…) was already revoked.")
            return
        scim_token_revoke(token=token, actor=self.actor)
        self.stdout.write(f"Revoked token {token.pk} ({token.prefix}…).")

    def _notify_expiring(self, opts: dict[str, Any]) -> None:
        notices = scim_token_notify_expiring(within_days=opts["days"], actor=self.actor)
        counts = {"notified": 0, "no_admin": 0, "failed": 0}
        for notice in notices:
            t = notice.token
            counts[notice.outcome] += 1
            about = (f"token {t.pk} ({t.prefix}…) of {t.organization.slug}, "
                     f"expires {_when(t.expires_at)}")
            if notice.outcome == "notified":
                self.stdout.write(f"Notified {len(notice.recipients)} admin(s) about {about}.")
            elif notice.outcome == "no_admin":
                self.stderr.write(f"Not notified: {about}: the organization has no active admin.")
            else:
                self.stderr.write(f"Not notified: {about}: the email could not be sent.")
        self.stdout.write(
            f"{counts['notified']} token(s) expiring within {opts['days']} days notified, "
            f"{counts['no_admin']} without an admin to notify, {counts['failed']} failed."
        )
        if counts["failed"]:
            raise CommandError(
                f"{counts['failed']} expiry notice(s) could not be sent; the next run retries them."
            )

"""``manage.py audit_log`` and the ``audit_event_search`` selector behind it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from orgs.models import AuditEvent
from orgs.selectors import audit_event_search
from tests.factories import AuditEventFactory

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("audit_log", *args, stdout=out)
    return out.getvalue()


def json_rows(*args: str) -> list[dict]:
    return [json.loads(line) for line in run(*args, "--json").splitlines()]


def at(day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def log(org, other_org):
    """Acme's events on 1-4 November (one a day at noon), Globex's on the 2nd, one without an
    organization on the 3rd."""
    events = {
        "created": AuditEventFactory(
            organization=org, action="scim.user.created", created_at=at(1),
            actor_kind="scim-token", actor_id="7", actor_label="SCIM token rst_scim_abc123… (Okta)",
            target_kind="membership", target_id="m-1", target_label="jane@acme.example",
            data={"userName": "jane@acme.example"}, ip="203.0.113.9",
            user_agent="Okta SCIM Client 1.0.0", request_id="req-1",
        ),
        "deactivated": AuditEventFactory(
            organization=org, action="scim.user.deactivated", created_at=at(2),
            actor_kind="scim-token", actor_id="7", actor_label="SCIM token rst_scim_abc123… (Okta)",
        ),
        "enabled": AuditEventFactory(
            organization=org, action="org.scim.enabled", created_at=at(3),
            actor_kind="user", actor_id="u-1", actor_label="Admin@Acme.example",
        ),
        "token": AuditEventFactory(
            organization=org, action="scim.token.created", created_at=at(4),
            actor_kind="operator", actor_label="manage.py",
        ),
        "globex": AuditEventFactory(
            organization=other_org, action="scim.user.created", created_at=at(2, 13),
        ),
        "orgless": AuditEventFactory(
            organization=None, action="system.cleanup", created_at=at(3, 1),
        ),
    }
    return events


def test_json_is_one_object_a_line_newest_first_and_only_that_org(log, org):
    rows = json_rows("--org", "acme")
    assert [r["action"] for r in rows] == [
        "scim.token.created", "org.scim.enabled", "scim.user.deactivated", "scim.user.created",
    ]
    assert rows[-1] == {
        "created_at": "2026-11-01T12:00:00+00:00",
        "organization": "acme",
        "action": "scim.user.created",
        "actor": {"kind": "scim-token", "id": "7",
                  "label": "SCIM token rst_scim_abc123… (Okta)"},
        "target": {"kind": "membership", "id": "m-1", "label": "jane@acme.example"},
        "data": {"userName": "jane@acme.example"},
        "ip": "203.0.113.9",
        "user_agent": "Okta SCIM Client 1.0.0",
        "request_id": "req-1",
    }


def test_table_is_tab_separated_with_a_header(log):
    lines = run("--org", "acme", "--action", "scim.user.created").splitlines()
    assert lines == [
        "created_at\torganization\taction\tactor\ttarget\tdata\tip\trequest_id",
        "2026-11-01T12:00:00+00:00\tacme\tscim.user.created\t"
        "scim-token:SCIM token rst_scim_abc123… (Okta)\tmembership:jane@acme.example\t"
        '{"userName": "jane@acme.example"}\t203.0.113.9\treq-1',
    ]


def test_table_escapes_control_characters_an_idp_could_send(org):
    AuditEventFactory(
        organization=org, action="scim.user.updated", created_at=at(1),
        target_kind="membership", target_id="m-1",
        target_label="evil\tname\n\x1b[31mred", data={"displayName": "a\tb"},
    )
    lines = run("--org", "acme").splitlines()
    assert len(lines) == 2
    cells = lines[1].split("\t")
    assert len(cells) == 8
    assert cells[4] == "membership:evil\\tname\\n\\x1b[31mred"
    assert cells[5] == '{"displayName": "a\\tb"}'  # JSON already escapes it
    assert "\x1b" not in run("--org", "acme", "--json")


@pytest.mark.parametrize(("args", "expected"), [
    (["--action", "scim."], ["scim.token.created", "scim.user.deactivated", "scim.user.created"]),
    (["--action", "scim.user.deactivated"], ["scim.user.deactivated"]),
    (["--action", "sso."], []),
    (["--since", "2026-11-02"],
     ["scim.token.created", "org.scim.enabled", "scim.user.deactivated"]),
    (["--until", "2026-11-02"], ["scim.user.deactivated", "scim.user.created"]),  # whole day
    (["--since", "2026-11-02", "--until", "2026-11-03"],
     ["org.scim.enabled", "scim.user.deactivated"]),
    (["--since", "2026-11-02T12:00:00Z", "--until", "2026-11-03 11:59"],
     ["scim.user.deactivated"]),  # datetimes are inclusive; naive means UTC
    (["--since", "2026-11-02T13:00:00+01:00"],  # = 12:00 UTC
     ["scim.token.created", "org.scim.enabled", "scim.user.deactivated"]),
    (["--actor", "okta"], ["scim.user.deactivated", "scim.user.created"]),
    (["--actor", "admin@acme"], ["org.scim.enabled"]),
    (["--actor", "nobody"], []),
    (["--limit", "2"], ["scim.token.created", "org.scim.enabled"]),
    (["--action", "scim.", "--actor", "rst_scim_abc", "--since", "2026-11-02", "--limit", "10"],
     ["scim.user.deactivated"]),
])
def test_filters(log, args, expected):
    assert [r["action"] for r in json_rows("--org", "acme", *args)] == expected


def test_all_orgs_includes_every_organization_and_events_without_one(log):
    rows = json_rows("--all-orgs", "--until", "2026-11-03")
    assert [(r["organization"], r["action"]) for r in rows] == [
        ("acme", "org.scim.enabled"),
        (None, "system.cleanup"),
        ("globex", "scim.user.created"),
        ("acme", "scim.user.deactivated"),
        ("acme", "scim.user.created"),
    ]
    table = run("--all-orgs", "--action", "system.")
    assert table.splitlines()[1].split("\t")[1:3] == ["-", "system.cleanup"]


def test_default_limit_is_100(org):
    AuditEventFactory.create_batch(101, organization=org)
    assert len(json_rows("--org", "acme")) == 100
    assert len(json_rows("--org", "acme", "--limit", "10000")) == 101


def test_nothing_found(org):
    assert run("--org", "acme") == "No audit events match.\n"
    assert run("--org", "acme", "--json") == ""


@pytest.mark.parametrize("count", [3, 150])
def test_query_count_does_not_grow_with_the_rows(org, other_org, count,
                                                 django_assert_num_queries):
    AuditEventFactory.create_batch(count, organization=org)
    AuditEventFactory.create_batch(count, organization=other_org)
    with django_assert_num_queries(2):  # the organization, then one streamed SELECT
        lines = run("--org", "acme", "--limit", "10000", "--json").splitlines()
    assert len(lines) == count
    with django_assert_num_queries(1):
        table = run("--all-orgs", "--limit", "10000").splitlines()
    assert len(table) == 2 * count + 1


@pytest.mark.parametrize(("args", "message"), [
    (["--org", "nope"], "No organization with slug 'nope'."),
    (["--org", "acme", "--since", "yesterday"],
     "--since 'yesterday' is not an ISO date or datetime (e.g. 2026-11-01 or "
     "2026-11-01T09:30:00Z)."),
    (["--org", "acme", "--until", "2026-13-01"], "--until '2026-13-01' is not an ISO date"),
    (["--org", "acme", "--until", "2026-11-01T25:00"],
     "--until '2026-11-01T25:00' is not an ISO date"),
    (["--org", "acme", "--since", "2026-11-03", "--until", "2026-11-02"],
     "--since must not be later than --until."),
    (["--org", "acme", "--limit", "0"], "--limit must be a whole number from 1 to 10000, not '0'."),
    (["--org", "acme", "--limit", "10001"], "--limit must be a whole number from 1 to 10000"),
    (["--org", "acme", "--limit", "-5"], "--limit must be a whole number from 1 to 10000"),
    (["--org", "acme", "--limit", "ten"], "--limit must be a whole number from 1 to 10000"),
    ([], "one of the arguments --org --all-orgs is required"),
    (["--org", "acme", "--all-orgs"], "not allowed with argument"),
])
def test_failures(log, args, message):
    before = AuditEvent.objects.count()
    with pytest.raises(CommandError, match=re.escape(message)):
        run(*args)
    assert AuditEvent.objects.count() == before


def test_selector_needs_an_organization_or_all_orgs_explicitly(log):
    with pytest.raises(ValueError, match="all_orgs"):
        audit_event_search(organization=None)
    assert audit_event_search(organization=None, all_orgs=True).count() == 6


@pytest.mark.django_db(transaction=True)  # run_from_argv closes the connection at the end
def test_failure_is_one_line_on_stderr_and_exit_1(capsys):
    from orgs.management.commands.audit_log import Command

    for argv in (["--org", "no-such-org"], ["--all-orgs", "--since", "soon"]):
        with pytest.raises(SystemExit) as exit_info:
            Command().run_from_argv(["manage.py", "audit_log", *argv])
        assert exit_info.value.code == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("CommandError: ")

"""``manage.py scim_requests``: an organization's requests (or the operators-only ones), by
status and age, as a table or JSON lines; bad input is one line and a non-zero exit."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tests.factories import ScimRequestFactory

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("scim_requests", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def requests_(org, other_org):
    now = timezone.now()
    ScimRequestFactory(organization=org, status=200, created_at=now - dt.timedelta(days=3),
                       path="/scim/v2/Users", query="startIndex=1&count=2")
    ScimRequestFactory(organization=org, status=404, created_at=now - dt.timedelta(hours=2),
                       path="/scim/v2/Users/nope", error_detail="User nope not found.")
    ScimRequestFactory(organization=org, status=409, created_at=now - dt.timedelta(minutes=5),
                       method="POST", error_detail="tab\there", request_body='{"a": 1}')
    ScimRequestFactory(organization=other_org, status=500, path="/scim/v2/Groups/theirs")
    ScimRequestFactory(organization=None, status=401, path="/scim/v2/Users/nobodys",
                       token_prefix="", authorization="Bearer [masked]")


def test_a_table_newest_first(requests_):
    lines = run("--org", "acme").splitlines()
    assert lines[0].split("\t") == ["created_at", "status", "method", "path", "duration_ms",
                                    "token_prefix", "client_ip", "error_detail", "request_id"]
    assert [line.split("\t")[1] for line in lines[1:]] == ["409", "404", "200"]
    assert lines[1].split("\t")[7] == "tab\\there"  # a client's tab does not reshape the table
    assert lines[3].split("\t")[3] == "/scim/v2/Users?startIndex=1&count=2"
    assert "theirs" not in "".join(lines) and "nobodys" not in "".join(lines)


@pytest.mark.parametrize("args,statuses", [
    (["--status", "4xx"], [409, 404]),
    (["--status", "4XX"], [409, 404]),
    (["--status", "404"], [404]),
    (["--status", "2xx"], [200]),
    (["--since", "24h"], [409, 404]),
    (["--since", "30m"], [409]),
    (["--since", "7d", "--status", "2xx"], [200]),
    (["--limit", "1"], [409]),
])
def test_filters(requests_, args, statuses):
    rows = [json.loads(line) for line in run("--org", "acme", "--json", *args).splitlines()]
    assert [r["status"] for r in rows] == statuses


def test_since_an_iso_date(requests_):
    since = (timezone.now() - dt.timedelta(days=1)).date().isoformat()
    rows = run("--org", "acme", "--json", "--since", since).splitlines()
    assert [json.loads(r)["status"] for r in rows] == [409, 404]  # not the one 3 days old


def test_json_has_the_masked_bodies_and_the_org(requests_):
    row = json.loads(run("--org", "acme", "--json", "--limit", "1"))
    assert row["organization"] == "acme" and row["request_body"] == '{"a": 1}'
    assert set(row) >= {"created_at", "method", "path", "query", "status", "duration_ms",
                        "token_prefix", "authorization", "client_ip", "user_agent",
                        "error_type", "error_detail", "request_id", "response_body",
                        "request_truncated", "response_truncated"}


def test_the_operators_only_requests(requests_):
    rows = [json.loads(line) for line in run("--unattributed", "--json").splitlines()]
    assert [(r["organization"], r["path"]) for r in rows] == [(None, "/scim/v2/Users/nobodys")]


def test_nothing_matches(requests_):
    assert run("--org", "acme", "--status", "5xx") == "No SCIM requests match.\n"
    assert run("--org", "acme", "--status", "5xx", "--json") == ""


@pytest.mark.parametrize("args,message", [
    (["--org", "ghost"], "No organization with slug 'ghost'."),
    (["--org", "acme", "--status", "4"],
     "--status must be a class such as 4xx or a code such as 404, not '4'."),
    (["--org", "acme", "--status", "600"],
     "--status must be a class such as 4xx or a code such as 404, not '600'."),
    (["--org", "acme", "--since", "yesterday"],
     "--since 'yesterday' is neither a duration (e.g. 24h, 30m, 7d) nor an ISO date or "
     "datetime (e.g. 2026-11-01 or 2026-11-01T09:30:00Z)."),
    (["--org", "acme", "--since", "24y"],
     "--since '24y' is neither a duration (e.g. 24h, 30m, 7d) nor an ISO date or "
     "datetime (e.g. 2026-11-01 or 2026-11-01T09:30:00Z)."),
    (["--org", "acme", "--limit", "0"], "--limit must be a whole number from 1 to 10000, not '0'."),
])
def test_bad_input_is_one_clear_line(org, args, message):
    with pytest.raises(CommandError) as failed:
        run(*args)
    assert str(failed.value) == message


def test_an_org_or_unattributed_is_required(org):
    with pytest.raises(CommandError, match="one of the arguments --org --unattributed"):
        run("--status", "4xx")
    with pytest.raises(CommandError, match="not allowed with argument"):
        run("--org", "acme", "--unattributed")

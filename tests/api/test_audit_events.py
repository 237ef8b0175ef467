"""The audit log: filters, newest-first pages, and the `since` feed a SIEM polls (oldest first
after a stored position, nothing listed twice, nothing skipped, recent rows held back)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from orgs.models import AuditEvent
from tests.api.conftest import error
from tests.factories import AuditEventFactory

pytestmark = pytest.mark.django_db

PATH = "/organizations/acme/audit-events/"


@pytest.fixture
def log(org, other_org, admin_key):
    """Six events of Acme a minute apart (oldest first), one of Globex; the key's own
    creation event is moved out of the way."""
    AuditEvent.objects.filter(action="api.key.created").delete()
    start = timezone.now() - timedelta(hours=1)
    specs = [("scim.user.created", "scim-token", "SCIM token rst_scim_abc…"),
             ("membership.added", "user", "alice@acme.test"),
             ("scim.user.deactivated", "scim-token", "SCIM token rst_scim_abc…"),
             ("org.updated", "user", "bob@acme.test"),
             ("scim.group.created", "scim-token", "SCIM token rst_scim_abc…"),
             ("membership.removed", "operator", "manage.py")]
    events = [AuditEventFactory(organization=org, action=action, actor_kind=kind,
                                actor_label=label, created_at=start + timedelta(minutes=n),
                                target_kind="membership", target_id=f"t{n}",
                                data={"n": n}, request_id=f"req-{n}")
              for n, (action, kind, label) in enumerate(specs)]
    AuditEventFactory(organization=other_org, action="org.updated", created_at=start)
    return events


def actions(body) -> list[str]:
    return [e["action"] for e in body["results"]]


def test_newest_first_as_json(api, log):
    body = api.get(PATH).json()
    assert actions(body) == [e.action for e in reversed(log)]
    newest = body["results"][0]
    assert newest == {
        "id": log[-1].pk, "created_at": newest["created_at"], "action": "membership.removed",
        "actor": {"kind": "operator", "id": "", "label": "manage.py"},
        "target": {"kind": "membership", "id": "t5", "label": ""},
        "data": {"n": 5}, "ip": None, "user_agent": "", "request_id": "req-5",
    }


@pytest.mark.parametrize(("query", "expected"), [
    ({"action": "scim."}, [4, 2, 0]),
    ({"actor": "ALICE"}, [1]),
    ({"actor_kind": "user"}, [3, 1]),
    ({"target_id": "t3"}, [3]),
    ({"request_id": "req-2"}, [2]),
    ({"action": "membership.", "actor_kind": "operator"}, [5]),
])
def test_filters(api, log, query, expected):
    assert actions(api.get(PATH, query).json()) == [log[n].action for n in expected]


def test_time_range_is_inclusive(api, log):
    query = {"created_after": log[1].created_at.isoformat(),
             "created_before": log[3].created_at.isoformat()}
    assert actions(api.get(PATH, query).json()) == [log[n].action for n in (3, 2, 1)]


@pytest.mark.parametrize(("query", "field"), [
    ({"created_after": "yesterday"}, "created_after"),
    ({"actor_kind": "robot"}, "actor_kind"),
    ({"since": "not-a-position"}, "since"),
    ({"since": "MjAyNnxub3QtYW4taWQ"}, "since"),  # base64 of "2026|not-an-id"
    ({"since": "OTk5OS0xMi0zMVQyMzo1OTo1OS0yMzowMHwx"}, "since"),  # "9999-12-31T23:59:59-23:00|1"
    ({"since": "MjAyNi0wMS0wMVQwMDowMDowMCswMDowMHw5OTk5OTk5OTk5OTk5OTk5OTk5OTk5"},
     "since"),  # "2026-01-01T00:00:00+00:00|9999999999999999999999"
    ({"limit": "-5"}, "limit"),
])
def test_bad_parameters_are_400_naming_them(api, log, query, field):
    response = api.get(PATH, query)
    assert response.status_code == 400 and response.json() == error("invalid")
    assert list(response.json()["error"]["fields"]) == [field]


def test_a_siem_polls_with_since_and_sees_everything_once(api, log, org):
    seen: list[int] = []
    body = api.get(PATH, {"since": "0", "limit": 4}).json()
    assert body["previous"] is None and body["next"]
    seen += [e["id"] for e in body["results"]]
    body = api.client.get(body["next"], HTTP_AUTHORIZATION=f"Bearer {api.key}").json()
    seen += [e["id"] for e in body["results"]]
    assert body["next"] is None
    assert seen == [e.pk for e in log]  # oldest first, no repeat, no gap
    since = body["since"]
    # Nothing new: the same position back, and an empty page.
    again = api.get(PATH, {"since": since}).json()
    assert again["results"] == [] and again["since"] == since
    # New events arrive: the next poll lists exactly them.
    later = timezone.now() - timedelta(minutes=1)
    new = [AuditEventFactory(organization=org, action="membership.added", created_at=later)
           for _ in range(2)]
    body = api.get(PATH, {"since": since}).json()
    assert [e["id"] for e in body["results"]] == [e.pk for e in new]


def test_a_browse_listing_gives_the_position_to_start_polling_from(api, log, org):
    since = api.get(PATH).json()["since"]
    assert api.get(PATH, {"since": since}).json()["results"] == []
    new = AuditEventFactory(organization=org, created_at=timezone.now() - timedelta(seconds=30))
    assert [e["id"] for e in api.get(PATH, {"since": since}).json()["results"]] == [new.pk]


def test_events_with_the_same_timestamp_are_neither_skipped_nor_repeated(api, org, log):
    moment = timezone.now() - timedelta(minutes=5)
    same = [AuditEventFactory(organization=org, created_at=moment) for _ in range(5)]
    body = api.get(PATH, {"since": "0", "limit": 7}).json()  # cuts through the five
    ids = [e["id"] for e in body["results"]]
    body = api.get(PATH, {"since": body["since"]}).json()
    ids += [e["id"] for e in body["results"]]
    assert ids == [e.pk for e in log] + [e.pk for e in same]


def test_the_feed_holds_back_rows_younger_than_the_settle_window(api, org, log, settings):
    settings.API_FEED_SETTLE_SECONDS = 5
    since = api.get(PATH, {"since": "0"}).json()["since"]
    fresh = AuditEventFactory(organization=org)  # written just now
    assert api.get(PATH, {"since": since}).json()["results"] == []
    assert api.get(PATH).json()["results"][0]["id"] == fresh.pk  # browsing shows it at once
    settings.API_FEED_SETTLE_SECONDS = 0
    assert [e["id"] for e in api.get(PATH, {"since": since}).json()["results"]] == [fresh.pk]


def test_writes_through_the_api_show_up_in_the_log(api, org):
    api.patch("/organizations/acme/", {"name": "Acme Corp"})
    event = api.get(PATH, {"action": "org."}).json()["results"][0]
    assert event["action"] == "org.updated"
    assert event["actor"]["kind"] == "user"
    assert event["data"] == {"changes": {"name": ["Acme", "Acme Corp"]}}

"""``manage.py seed_scale``: an organization grown to N members with bulk inserts, the way a
first Okta import leaves one, for the benchmark (bench/run.py); and the benchmark's hooks,
which are off unless BENCH_FLOOR turns them on."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from config.bench import QueryCountMiddleware, floor
from orgs.models import AuditEvent, Group, GroupMember, Membership, Organization, User

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_scale", *args, stdout=out)
    return out.getvalue()


def test_grows_an_organization_to_n_members_with_lookup_keys():
    out = seed("--org", "big", "--members", "50", "--groups", "2", "--group-size", "10",
               "--batch", "20")
    org = Organization.objects.get(slug="big")
    assert org.plan == "enterprise"
    assert "50 members added (50 in all), 2 groups" in out
    members = Membership.objects.filter(organization=org)
    assert members.count() == 50 and members.filter(source="scim").count() == 50
    jane = members.get(scim_user_name="user7@big.example")
    assert (jane.user_name_key, jane.email_key, jane.external_id_key) == (
        "user7@big.example", "user7@big.example", "00ubig000000007")
    assert jane.user.email == "user7@big.example" and jane.status == "accepted"
    assert members.get(scim_user_name="user8@big.example").user is None  # an invitation
    assert User.objects.count() == 25
    assert GroupMember.objects.filter(group__organization=org).count() == 20
    assert Group.objects.filter(organization=org).count() == 2

    # Again with more: only what is missing is added.
    assert "10 members added (60 in all)" in seed("--org", "big", "--members", "60")
    assert members.count() == 60
    assert list(AuditEvent.objects.filter(action="org.members.seeded").values_list(
        "data", flat=True).order_by("id")) == [
        {"added": 50, "total": 50, "groups": 2, "group_size": 10},
        {"added": 10, "total": 60, "groups": 0, "group_size": 0}]


def test_bad_input_is_one_line():
    with pytest.raises(CommandError, match="members must be between 0 and 1,000,000"):
        seed("--org", "big", "--members", "-1")


def test_the_floor_is_one_indexed_select(org):
    member = Membership.objects.create(organization=org, email="a@example.com")
    request = RequestFactory().get("/bench/floor/", {"id": str(member.pk)})
    with CaptureQueriesContext(connection) as ctx:
        response = QueryCountMiddleware(floor)(request)
    assert response.status_code == 200 and response["X-Queries"] == "1"
    assert len(ctx.captured_queries) == 1
    # The worker's time: its CPU, and its wall time (CPU and waits), never less than the CPU.
    assert 0 <= float(response["X-CPU-Ms"]) <= float(response["X-Wall-Ms"]) + 0.1
    assert floor(RequestFactory().get("/bench/floor/", {"id": "x"})).status_code == 400


def test_the_benchmark_hooks_are_off_by_default(client, settings):
    assert settings.BENCH_FLOOR is False
    response = client.get("/bench/floor/?id=00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert "X-Queries" not in response

"""Concurrent PATCHes on one group do not undo each other: each request's change is applied as
a delta under the group's row lock (PostgreSQL only: SQLite serialises writers anyway)."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection, connections
from django.test import Client

from orgs.models import GroupMember
from tests.factories import GroupFactory, MembershipFactory
from tests.scim.conftest import PATCH_OP, ScimClient

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers"),
]


def test_concurrent_member_adds_and_removes_all_land(org, token):
    group = GroupFactory(organization=org)
    stay = [MembershipFactory(organization=org) for _ in range(4)]
    leave = [MembershipFactory(organization=org) for _ in range(4)]
    GroupMember.objects.bulk_create([GroupMember(group=group, membership=m) for m in leave])
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def work(op: str, member) -> None:
        try:
            scim = ScimClient(Client(), token)
            barrier.wait(timeout=10)
            if op == "add":
                body = {"op": "add", "path": "members", "value": [{"value": str(member.pk)}]}
            else:
                body = {"op": "remove", "path": f'members[value eq "{member.pk}"]'}
            response = scim.patch(f"/Groups/{group.pk}",
                                  {"schemas": [PATCH_OP], "Operations": [body]})
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=("add", m)) for m in stay]
    threads += [threading.Thread(target=work, args=("remove", m)) for m in leave]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert statuses == [200] * 8
    assert set(GroupMember.objects.filter(group=group).values_list("membership_id", flat=True)) \
        == {m.pk for m in stay}


def test_concurrent_creates_of_one_user_name_give_one_member_and_a_409(org, token):
    """Okta retries and Entra's parallel workers can POST the same person twice at once: one
    201, one 409 uniqueness (never a 500), one membership (an invitation: no account yet)."""
    from orgs.models import Membership, User

    barrier = threading.Barrier(4)
    answers: list[tuple[int, dict]] = []

    def work(i: int) -> None:
        try:
            scim = ScimClient(Client(), token)
            barrier.wait(timeout=10)
            user_name = "race@example.com" if i % 2 else "RACE@example.com"
            response = scim.post("/Users", {"userName": user_name})
            answers.append((response.status_code, json.loads(response.content)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201, 409, 409, 409], answers
    for status, body in answers:
        if status == 409:
            assert body["scimType"] == "uniqueness"
    assert Membership.objects.filter(organization=org).count() == 1
    assert not User.objects.exists()


def test_concurrent_creates_sharing_one_email_all_land(org, token):
    """Entra's parallel workers create emp1..emp4 who share one mailbox at once: members are
    keyed by userName, so all four are 201 and nothing is linked."""
    from orgs.models import Membership, User

    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def work(i: int) -> None:
        try:
            scim = ScimClient(Client(), token)
            barrier.wait(timeout=10)
            response = scim.post("/Users", {
                "userName": f"emp{i}@contoso.example",
                "emails": [{"value": "shared@contoso.example", "type": "work", "primary": True}],
            })
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert statuses == [201] * 4
    assert Membership.objects.filter(organization=org, email="shared@contoso.example").count() == 4
    assert not User.objects.exists()


def test_concurrent_patches_of_one_user_all_land(org, token):
    """Each PATCH reads the member's SCIM profile and writes it back whole; without a lock on
    the member, two at once lose one another's change."""
    scim = ScimClient(Client(), token)
    uid = json.loads(scim.post("/Users", {"userName": "jane@example.com"}).content)["id"]
    kinds = ["work", "mobile", "fax", "home", "pager", "other"]
    barrier = threading.Barrier(len(kinds))
    statuses: list[int] = []

    def work(kind: str) -> None:
        try:
            client = ScimClient(Client(), token)
            barrier.wait(timeout=10)
            response = client.patch(f"/Users/{uid}", {"schemas": [PATCH_OP], "Operations": [
                {"op": "Add", "path": f'phoneNumbers[type eq "{kind}"].value', "value": kind}]})
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(k,)) for k in kinds]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert statuses == [200] * len(kinds)
    phones = json.loads(scim.get(f"/Users/{uid}").content)["phoneNumbers"]
    assert sorted(p["type"] for p in phones) == sorted(kinds)


def test_a_member_patch_does_not_undo_a_concurrent_rename(org, token):
    """Entra sends a rename and member additions as separate PATCHes; one that does not touch
    displayName must not write back the name it read before the rename committed."""
    group = GroupFactory(organization=org, display_name="Sales")
    people = [MembershipFactory(organization=org) for _ in range(5)]
    barrier = threading.Barrier(len(people) + 1)
    statuses: list[int] = []

    def work(operation: dict) -> None:
        try:
            client = ScimClient(Client(), token)
            barrier.wait(timeout=10)
            response = client.patch(f"/Groups/{group.pk}",
                                    {"schemas": [PATCH_OP], "Operations": [operation]})
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    operations = [{"op": "Replace", "path": "displayName", "value": "Sales EMEA"}]
    operations += [{"op": "Add", "path": "members", "value": [{"value": str(m.pk)}]}
                   for m in people]
    threads = [threading.Thread(target=work, args=(op,)) for op in operations]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert statuses == [200] * len(operations)
    group.refresh_from_db()
    assert group.display_name == "Sales EMEA"
    assert GroupMember.objects.filter(group=group).count() == len(people)


def test_concurrent_creates_and_deletes_keep_the_member_count_exact(org, token):
    """Each create adds one to the organization's kept count and each delete takes one off
    (``OrganizationMemberCount``): concurrent ones all land, none is lost or counted twice,
    and the Test Connector's total is the real count."""
    from orgs.models import Membership
    from orgs.selectors import membership_list_state

    leaving = [MembershipFactory(organization=org) for _ in range(3)]
    barrier = threading.Barrier(8 + len(leaving))
    statuses: list[int] = []

    def work(job: str) -> None:
        try:
            scim = ScimClient(Client(), token)
            barrier.wait(timeout=10)
            if job.startswith("/"):
                response = scim.delete(job)
            else:
                response = scim.post("/Users", {"userName": job})
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    jobs = [f"new{i}@example.com" for i in range(8)] + [f"/Users/{m.pk}" for m in leaving]
    threads = [threading.Thread(target=work, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(statuses) == [201] * 8 + [204] * len(leaving)
    assert Membership.objects.filter(organization=org).count() == 8
    assert membership_list_state(organization_id=org.pk)[0] == 8
    body = json.loads(ScimClient(Client(), token).get("/Users?startIndex=1&count=2").content)
    assert body["totalResults"] == 8


def test_a_group_push_does_not_hold_up_the_organizations_other_writes(org, token, actor):
    """A push locks its group's row only: while one holds its lock, other requests of the
    organization still write (their foreign keys to the organization need its row unlocked
    for update), and their request-log rows go in."""
    from django.db import transaction

    from orgs import services
    from scim.models import ScimRequest

    group = GroupFactory(organization=org)
    locked, release = threading.Event(), threading.Event()

    def push() -> None:
        try:
            with transaction.atomic():
                services.group_lock(group)
                locked.set()
                release.wait(timeout=10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=push)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")  # a wait for the push fails the test
        scim = ScimClient(Client(), token)
        response = scim.post("/Users", {"userName": "during.push@example.com"})
        assert response.status_code == 201, response.content
        assert ScimRequest.objects.filter(organization=org, status=201).exists()
    finally:
        release.set()
        holder.join(timeout=10)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")

"""Groups with their members, read only, a fixed number of queries per page."""

from __future__ import annotations

import pytest

from tests.api.conftest import error
from tests.factories import GroupFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def test_list_and_get_groups_with_members(api, org, other_org):
    alice = MembershipFactory(organization=org, user__email="alice@acme.test")
    bob = MembershipFactory(organization=org, user__email="bob@acme.test")
    eng = GroupFactory(organization=org, display_name="Engineering", external_id="00gEng",
                       members=[alice, bob])
    GroupFactory(organization=org, display_name="Empty")
    GroupFactory(organization=other_org, display_name="Globex only")
    body = api.get("/organizations/acme/groups/").json()
    assert [g["display_name"] for g in body["results"]] == ["Engineering", "Empty"]
    one = api.get(f"/organizations/acme/groups/{eng.pk}/").json()
    assert one == body["results"][0] == {
        "id": str(eng.pk), "display_name": "Engineering", "external_id": "00gEng",
        "member_count": 2,
        "members": [{"id": str(alice.pk), "email": "alice@acme.test"},
                    {"id": str(bob.pk), "email": "bob@acme.test"}],
        "created_at": one["created_at"], "updated_at": one["updated_at"],
    }


def test_another_organizations_group_is_404(api, org, other_org):
    theirs = GroupFactory(organization=other_org)
    response = api.get(f"/organizations/acme/groups/{theirs.pk}/")
    assert response.status_code == 404 and response.json() == error("not_found")


def test_list_costs_a_fixed_number_of_queries(api, org, django_assert_max_num_queries):
    for n in range(20):
        GroupFactory(organization=org, members=[MembershipFactory(organization=org)
                                                for _ in range(3)])
    with django_assert_max_num_queries(8):
        response = api.get("/organizations/acme/groups/", {"limit": 200})
    assert [g["member_count"] for g in response.json()["results"]] == [3] * 20

"""``totalResults`` of an unfiltered Users list is the member count the database keeps
(``orgs.selectors.membership_list_state``): what an IdP sees is the same as a real COUNT's, after
creates and deletes, on every kind of list that reports a total."""

from __future__ import annotations

import pytest

from orgs.models import Membership, OrganizationMemberCount
from scim.schemas import SEARCH_REQUEST
from tests.factories import GroupFactory
from tests.scim.conftest import scim_body

pytestmark = pytest.mark.django_db


def _create(scim, n: int, prefix: str) -> list[str]:
    ids = []
    for i in range(n):
        response = scim.post("/Users", {"userName": f"{prefix}{i}@example.com"})
        assert response.status_code == 201, response.content
        ids.append(scim_body(response)["id"])
    return ids


def _totals(scim) -> dict[str, int]:
    """The total of each kind of list that reports one, with a page shorter than the list."""
    search = {"schemas": [SEARCH_REQUEST], "startIndex": 1, "count": 2}
    return {
        "test connector": scim_body(scim.get("/Users?startIndex=1&count=2"))["totalResults"],
        "import page": scim_body(scim.get("/Users?startIndex=2&count=2"))["totalResults"],
        "cursor": scim_body(scim.get("/Users?cursor=&count=2"))["totalResults"],
        "search": scim_body(scim.post("/Users/.search", search))["totalResults"],
        "root search": scim_body(scim.post("/.search", search))["totalResults"],
    }


def test_test_connector_total_after_creates_and_deletes(scim, org, other_scim):
    ids = _create(scim, 6, "okta")
    _create(other_scim, 3, "globex")  # another organization's: never counted here
    group = GroupFactory(organization=org)
    assert _totals(scim) == {"test connector": 6, "import page": 6, "cursor": 6, "search": 6,
                             "root search": 7}
    for uid in ids[:2]:
        assert scim.delete(f"/Users/{uid}").status_code == 204
    assert _totals(scim) == {"test connector": 4, "import page": 4, "cursor": 4, "search": 4,
                             "root search": 5}
    group.delete()
    assert Membership.objects.filter(organization=org).count() == 4
    assert scim_body(other_scim.get("/Users?startIndex=1&count=2"))["totalResults"] == 3


def test_only_unfiltered_user_lists_read_the_kept_count(scim, org):
    """Shown by a kept count that is wrong on purpose: unfiltered lists report it, filtered
    ones and Groups count."""
    _create(scim, 5, "m")
    GroupFactory.create_batch(3, organization=org)
    OrganizationMemberCount.objects.filter(pk=org.pk).update(members=1000)
    assert set(_totals(scim).values()) == {1000, 1003}
    filtered = scim_body(scim.get("/Users?startIndex=1&count=2&filter=userName%20pr"))
    assert filtered["totalResults"] == 5
    search = {"schemas": [SEARCH_REQUEST], "count": 2, "filter": 'userName sw "m"'}
    assert scim_body(scim.post("/Users/.search", search))["totalResults"] == 5
    assert scim_body(scim.get("/Groups?startIndex=1&count=2"))["totalResults"] == 3
    # A page shorter than count ends the list: its total is what it shows.
    assert scim_body(scim.get("/Users?startIndex=1&count=100"))["totalResults"] == 5

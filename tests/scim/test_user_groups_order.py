"""A SCIM User's ``groups`` are in the order the groups were made (``orgs.selectors.
membership_group_refs``, sorted after the query so the database may read them any way)."""

from __future__ import annotations

import pytest

from tests.scim.conftest import PATCH_OP, scim_body

pytestmark = pytest.mark.django_db


def test_a_users_groups_are_listed_in_the_order_the_groups_were_made(scim, org):
    """On a page and alone: the groups' creation order (ties by id), whatever their names and
    the order the member joined them."""
    uid = scim_body(scim.post("/Users", {"userName": "grouped@example.com"}))["id"]
    made = [scim_body(scim.post("/Groups", {"displayName": name}))["id"]
            for name in ("Zeta", "alpha", "Mid")]
    for gid in reversed(made):  # joined last group first
        scim.patch(f"/Groups/{gid}", {"schemas": [PATCH_OP], "Operations": [
            {"op": "add", "path": "members", "value": [{"value": uid}]}]})
    alone = scim_body(scim.get(f"/Users/{uid}"))["groups"]
    page = scim_body(scim.get("/Users?startIndex=1&count=10"))["Resources"]
    assert [g["value"] for g in alone] == made
    assert [g["value"] for g in next(r for r in page if r["id"] == uid)["groups"]] == made

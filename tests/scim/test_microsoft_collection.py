"""The shapes of Microsoft's SCIM validation collection (Entra's gallery listing): users who
share one work email, capitalised attribute names, group pushes with those users, and
``meta.created``/``meta.lastModified`` filters.

Members are keyed by userName and externalId (issue 10), so shared emails are no clash.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from orgs.models import Membership
from tests.scim.conftest import GROUP_SCHEMA, PATCH_OP, USER_SCHEMA, scim_body

pytestmark = pytest.mark.django_db

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def collection_user(user_name: str, work_email: str = "shared.inbox@contoso.example") -> dict:
    """A user as the collection posts it: capitalised keys, two emails, the extension."""
    return {
        "UserName": user_name, "Active": True, "DisplayName": "Pat Shared",
        "schemas": [ENTERPRISE, USER_SCHEMA], "externalId": uuid.uuid4().hex,
        "name": {"formatted": "Pat Shared", "familyName": "Shared", "givenName": "Pat"},
        "emails": [
            {"Primary": True, "type": "work", "value": work_email},
            {"Primary": False, "type": "home", "value": "home@contoso.example"},
        ],
        ENTERPRISE: {"Department": "Ops", "Manager": {"Value": "SuzzyQ"}},
    }


def test_users_sharing_one_email_are_all_created_and_pushed_in_groups(scim):
    ids = []
    for name in ("emp1", "emp2", "emp3"):
        response = scim.post("/Users", collection_user(name))
        assert response.status_code == 201, response.content
        ids.append(scim_body(response)["id"])
    # The same pairs again with other addresses: each pair shares one.
    for name in ("adm-jane", "jane"):
        assert scim.post("/Users", collection_user(name, "jane@contoso.example")).status_code \
            == 201
    assert Membership.objects.filter(email="shared.inbox@contoso.example").count() == 3
    for uid in ids:
        assert scim_body(scim.get(f"/Users/{uid}"))["emails"][0] == {
            "primary": True, "type": "work", "value": "shared.inbox@contoso.example"
        }

    response = scim.post("/Groups", {
        "schemas": [GROUP_SCHEMA], "externalId": uuid.uuid4().hex,
        "displayName": "Shared mailbox owners", "members": [{"value": ids[0], "display": "VP"}],
    })
    assert response.status_code == 201
    gid = scim_body(response)["id"]
    response = scim.patch(f"/Groups/{gid}", {"schemas": [PATCH_OP], "Operations": [
        {"name": "addMember", "op": "add", "path": "members",
         "value": [{"displayName": "new User", "value": ids[1]},
                   {"displayName": "new User", "value": ids[2]}]},
    ]})
    assert response.status_code in (200, 204)
    members = {m["value"] for m in scim_body(scim.get(f"/Groups/{gid}"))["members"]}
    assert members == set(ids)
    response = scim.patch(f"/Groups/{gid}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "remove", "path": f'members[value eq "{ids[1]}"]'}]})
    assert response.status_code in (200, 204)
    assert len(scim_body(scim.get(f"/Groups/{gid}"))["members"]) == 2

    # Renaming one of them never touches the others sharing the address.
    response = scim.patch(f"/Users/{ids[0]}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "path": "userName", "value": "ryan3"}]})
    assert scim_body(scim.get(f"/Users/{ids[0]}"))["userName"] == "ryan3"
    assert scim_body(scim.get(f"/Users/{ids[1]}"))["userName"] == "emp2"


def test_user_name_and_external_id_stay_unique(scim):
    body = collection_user("emp1")
    assert scim.post("/Users", body).status_code == 201
    again = scim.post("/Users", {**collection_user("EMP1")})
    assert (again.status_code, scim_body(again)["scimType"]) == (409, "uniqueness")
    clash = scim.post("/Users", {**collection_user("emp9"),
                                 "externalId": body["externalId"].upper()})
    assert (clash.status_code, scim_body(clash)["scimType"]) == (409, "uniqueness")
    assert "externalId" in scim_body(clash)["detail"]


def _stamp(uid: str, when: dt.datetime) -> None:
    Membership.objects.filter(pk=uid).update(created_at=when, updated_at=when)


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["id"] for r in scim_body(response)["Resources"]]


@pytest.mark.parametrize("attribute", ["meta.created", "meta.lastModified"])
def test_meta_date_filters_compare_instants(scim, attribute):
    base = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    ids = []
    for i in range(3):
        uid = scim_body(scim.post("/Users", collection_user(f"emp{i}")))["id"]
        _stamp(uid, base + dt.timedelta(days=i))
        ids.append(uid)

    def query(op: str, value: str) -> list[str]:
        return _ids(scim.get("/Users", data={"filter": f'{attribute} {op} "{value}"'}))

    assert query("gt", "2026-03-01T12:00:00Z") == ids[1:]
    assert query("ge", "2026-03-01T12:00:00Z") == ids
    assert query("lt", "2026-03-02T12:00:00Z") == ids[:1]
    assert query("le", "2026-03-02T12:00:00Z") == ids[:2]
    assert query("eq", "2026-03-02T12:00:00Z") == [ids[1]]
    # An offset is honoured; no offset means UTC.
    assert query("gt", "2026-03-02T13:00:00+02:00") == ids[1:]
    assert query("gt", "2026-03-02T12:00:00") == ids[2:]
    # What a GET renders compares equal to itself.
    rendered = scim_body(scim.get(f"/Users/{ids[1]}"))["meta"][
        "created" if attribute == "meta.created" else "lastModified"]
    assert query("eq", rendered) == [ids[1]]
    assert _ids(scim.get("/Users", data={"filter": f"{attribute} pr"})) == ids


def test_meta_filters_on_groups_and_bad_dates(scim):
    gid = scim_body(scim.post("/Groups", {"displayName": "Sales"}))["id"]
    assert _ids(scim.get("/Groups", data={"filter": 'meta.created gt "2000-01-01T00:00:00Z"'})) \
        == [gid]
    assert _ids(scim.get("/Groups", data={
        "filter": 'meta.lastModified lt "2000-01-01T00:00:00Z"'})) == []
    for bad in ('meta.created gt "yesterday"', 'meta.created gt "2026-13-01T00:00:00Z"',
                'meta.created co "2026"', "meta.created gt 5"):
        response = scim.get("/Users", data={"filter": bad})
        assert response.status_code == 400, bad
        assert scim_body(response)["scimType"] == "invalidFilter"


def test_list_of_a_shared_email_filter_returns_every_member(scim):
    a = scim_body(scim.post("/Users", collection_user("emp1")))["id"]
    b = scim_body(scim.post("/Users", collection_user("emp2")))["id"]
    response = scim.get("/Users", data={
        "filter": 'emails[type eq "work"].value eq "shared.inbox@contoso.example"',
        "attributes": "userName"})
    body = scim_body(response)
    assert body["totalResults"] == 2
    assert sorted((r["id"], r["userName"]) for r in body["Resources"]) == sorted(
        [(a, "emp1"), (b, "emp2")]
    )

"""Group role mappings end to end, in Okta's order: the admin maps an IdP group on the
Provisioning tab; Okta creates the person (POST /Users, no groups: Okta never sends them
there), then pushes their groups (POST /Groups, PUT /Groups/{id} or PATCH add). A member still
waiting for their first login gets the mapped role at that push; once they have signed in and
set up their account, pushes never change their role.

Everything goes through the real stack: the admin page with the test client, the SCIM API with
a real token, the SAML ACS with a signed assertion.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from orgs.audit import Actor
from orgs.models import AuditEvent, Membership, MembershipStatus, Role
from scim.services import scim_token_create
from sso import saml
from tests.factories import MembershipFactory, UserFactory
from tests.sso.conftest import BASE_URL, HOST, connect, post_acs
from tests.sso.idp import TestIdP
from tests.sso.keys import browser_like_setup

pytestmark = pytest.mark.django_db

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class Okta:
    """The SCIM calls Okta makes, with a token made by the service."""

    def __init__(self, org) -> None:
        self.client = Client()
        self.token = scim_token_create(
            organization=org, actor=Actor.system(), description="Okta"
        ).plaintext

    def _call(self, method: str, path: str, body: dict | None = None):
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}
        if body is not None:
            kwargs |= {"data": json.dumps(body), "content_type": "application/scim+json"}
        response = getattr(self.client, method)("/scim/v2" + path, **kwargs)
        assert response.status_code in (200, 201, 204), response.content
        return json.loads(response.content) if response.content else {}

    def create_user(self, email: str) -> str:
        return self._call("post", "/Users", {
            "schemas": [USER], "userName": email, "active": True,
            "name": {"givenName": "Test", "familyName": "User"},
            "emails": [{"primary": True, "value": email, "type": "work"}],
        })["id"]

    def push_group(self, name: str, *member_ids: str) -> str:
        return self._call("post", "/Groups", {
            "schemas": [GROUP], "displayName": name,
            "members": [{"value": i} for i in member_ids],
        })["id"]

    def put_group(self, group_id: str, name: str, *member_ids: str) -> None:
        self._call("put", f"/Groups/{group_id}", {
            "schemas": [GROUP], "id": group_id, "displayName": name,
            "members": [{"value": i} for i in member_ids],
        })

    def patch_members(self, group_id: str, op: str, *member_ids: str) -> None:
        self._call("patch", f"/Groups/{group_id}", {"schemas": [PATCH], "Operations": [
            {"op": op, "path": "members", "value": [{"value": i} for i in member_ids]},
        ]})


@pytest.fixture
def okta(org) -> Okta:
    return Okta(org)


@pytest.fixture
def mapped(admin_client_, url, org):
    """The admin maps two IdP groups on the Provisioning tab (default role: member)."""
    assert org.default_role == Role.MEMBER
    for name, role in (("Roster Admins", "admin"), ("Contractors", "no-access")):
        response = admin_client_.post(
            url("group_role_mapping_add", org), {"idp_group_name": name, "role": role}
        )
        assert response.status_code == 302


@pytest.fixture
def idp_sign_in(org, settings):
    """The member's first SAML login (a signed assertion to the ACS) and account setup."""
    settings.BASE_URL = BASE_URL
    settings.ALLOWED_HOSTS = [HOST, "testserver"]
    idp = TestIdP()
    connect(org, idp)

    def go(membership: Membership) -> None:
        client = Client()
        xml = idp.response_xml(
            email=membership.email, acs_url=saml.acs_url(org),
            audience=saml.sp_entity_id(org),
        )
        assert post_acs(client, org, xml)["Location"] == "/account/setup/"
        fields = {k: v for k, v in browser_like_setup().items() if not k.startswith("_")}
        response = client.post("/account/setup/", fields, HTTP_HOST=HOST, secure=True)
        assert response.status_code == 302

    return go


def role_of(membership_id: str) -> str:
    return Membership.objects.get(pk=membership_id).role


@pytest.mark.parametrize("push", ["post", "put", "patch"])
def test_member_created_first_gets_the_mapped_role_at_the_first_group_push(
    okta, mapped, push
):
    uid = okta.create_user("new.admin@okta.local")
    assert role_of(uid) == Role.MEMBER  # no groups yet: the default role

    name = "ROSTER ADMINS"  # IdP group names compare case-insensitively
    if push == "post":
        okta.push_group(name, uid)
    else:
        gid = okta.push_group(name)  # Okta pushes the group, then its members
        assert role_of(uid) == Role.MEMBER
        if push == "put":
            okta.put_group(gid, name, uid)
        else:
            okta.patch_members(gid, "add", uid)

    assert role_of(uid) == Role.ADMIN
    event = AuditEvent.objects.get(action="scim.user.role_changed", target_id=uid)
    assert event.data == {"from": "member", "to": "admin", "groups": [name]}
    assert event.actor_kind == "scim-token"


def test_scim_activity_on_the_tab_shows_the_mapped_role(admin_client_, url, org, okta, mapped):
    uid = okta.create_user("new.admin@okta.local")
    okta.push_group("Roster Admins", uid)
    response = admin_client_.get(url("sso_provisioning", org), {"action": "scim.user.role_changed"})
    assert [e.target_id for e in response.context["events"]] == [uid]


def test_highest_mapped_role_wins_and_unmapped_groups_change_nothing(okta, mapped):
    uid = okta.create_user("contractor@okta.local")
    okta.push_group("Everyone", uid)
    assert role_of(uid) == Role.MEMBER
    okta.push_group("Contractors", uid)
    assert role_of(uid) == Role.NO_ACCESS  # a mapping can lower the default role too
    okta.push_group("Roster Admins", uid)
    assert role_of(uid) == Role.ADMIN
    gid = okta.push_group("Contractors 2", uid)
    okta.patch_members(gid, "remove", uid)
    assert role_of(uid) == Role.ADMIN  # removals change no role


def test_member_who_has_signed_in_keeps_their_role(okta, mapped, org, idp_sign_in):
    uid = okta.create_user("veteran@okta.local")
    membership = Membership.objects.get(pk=uid)
    idp_sign_in(membership)  # first login and account setup done
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACCEPTED

    okta.push_group("Roster Admins", uid)

    assert role_of(uid) == Role.MEMBER
    assert not AuditEvent.objects.filter(action="scim.user.role_changed").exists()


def test_members_added_by_hand_keep_their_role(okta, mapped, org):
    manual = MembershipFactory(
        organization=org, user=UserFactory(email="hand@okta.local"),
        status=MembershipStatus.INVITED,
    )
    okta.push_group("Roster Admins", str(manual.pk))
    assert role_of(str(manual.pk)) == Role.MEMBER


def test_a_push_never_demotes_the_last_active_admin(okta, mapped, org, org_admin):
    """The org's only admin is a SCIM-provisioned member who has not signed in yet (the
    operator made them admin by hand); pushing them into a lower-mapped group leaves them
    admin rather than leaving the organization without one."""
    org_admin.source = "scim"
    org_admin.status = MembershipStatus.INVITED
    org_admin.save()
    okta.push_group("Contractors", str(org_admin.pk))
    assert role_of(str(org_admin.pk)) == Role.ADMIN
    assert not AuditEvent.objects.filter(action="scim.user.role_changed").exists()


def test_a_big_push_costs_a_bounded_number_of_queries_per_changed_member(
    okta, mapped, django_assert_max_num_queries
):
    uids = [okta.create_user(f"u{i}@okta.local") for i in range(30)]
    gid = okta.push_group("Roster Admins")
    with django_assert_max_num_queries(30 * 2 + 30):  # save + audit event per member
        okta.put_group(gid, "Roster Admins", *uids)
    assert {role_of(u) for u in uids} == {Role.ADMIN}


def test_the_tab_explains_the_rule(admin_client_, url, org):
    html = admin_client_.get(url("sso_provisioning", org)).content.decode()
    start = html.index('id="group-role-mappings-help"')
    help_text = html[start:html.index("</p>", start)]
    for phrase in ("pushes a group", "provisioned by SCIM and has not signed in yet",
                   "the highest if several", "have signed in, or were added by hand, keep",
                   "removing someone from a group changes no role", "default role, Member"):
        assert phrase in help_text

"""Who may open and use the SSO page: superusers everywhere, an org's active admins (staff) in
their own organization only; everyone else is turned away and nothing changes."""

from __future__ import annotations

import pytest
from django.test import Client

from orgs.models import AuditEvent, GroupRoleMapping, MembershipSource, MembershipStatus
from scim.models import ScimToken
from tests.factories import (
    DEFAULT_PASSWORD,
    AdminMembershipFactory,
    GroupRoleMappingFactory,
    ScimTokenFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

GET_PAGES = [
    ("sso_saml", ()),
    ("sso_provisioning", ()),
    ("scim_enable", ()),
    ("scim_disable", ()),
    ("scim_tokens", ()),
    ("scim_token_revoke", ("token",)),
    ("group_role_mapping_delete", ("mapping",)),
]
POST_ACTIONS = [
    ("scim_disable", (), {}),
    ("scim_token_create", (), {"description": "x", "ttl_days": "1", "nonce": "n"}),
    ("scim_token_revoke", ("token",), {}),
    ("group_role_mapping_add", (), {"idp_group_name": "Admins", "role": "admin"}),
    ("group_role_mapping_delete", ("mapping",), {}),
]


@pytest.fixture
def objects(org):
    return {
        "token": ScimTokenFactory(organization=org),
        "mapping": GroupRoleMappingFactory(organization=org),
    }


def _args(objects, names):
    return [objects[n].pk for n in names]


@pytest.mark.parametrize(("name", "needs"), GET_PAGES)
def test_org_admin_opens_every_page_of_their_org(admin_client_, url, org, objects, name, needs):
    response = admin_client_.get(url(name, org, *_args(objects, needs)))
    assert response.status_code == 200
    assert org.name in response.content.decode()


def test_sso_page_opens_on_the_saml_tab(admin_client_, url, org):
    response = admin_client_.get(url("sso", org))
    assert response.status_code == 302
    assert response["Location"] == url("sso_saml", org)


@pytest.mark.parametrize(("name", "needs"), GET_PAGES)
def test_superuser_opens_every_page_of_any_org(superuser_client, url, other_org, name, needs):
    objects = {
        "token": ScimTokenFactory(organization=other_org),
        "mapping": GroupRoleMappingFactory(organization=other_org),
    }
    assert superuser_client.get(url(name, other_org, *_args(objects, needs))).status_code == 200


@pytest.mark.parametrize("who", ["other_admin_client", "staff_member_client"])
@pytest.mark.parametrize(("name", "needs"), [("sso", ()), *GET_PAGES])
def test_other_staff_cannot_open_the_pages(request, who, url, org, objects, name, needs):
    """Another org's admin and a staff user who is a plain member: forbidden (403, as for an
    id that does not exist, so the answer confirms nothing)."""
    client: Client = request.getfixturevalue(who)
    response = client.get(url(name, org, *_args(objects, needs)))
    assert response.status_code == 403
    assert org.name not in response.content.decode()


@pytest.mark.parametrize("who", ["other_admin_client", "staff_member_client"])
@pytest.mark.parametrize(("name", "needs", "data"), POST_ACTIONS)
def test_other_staff_cannot_change_anything(request, who, url, org, objects, name, needs, data):
    client: Client = request.getfixturevalue(who)
    events = AuditEvent.objects.count()
    response = client.post(url(name, org, *_args(objects, needs)), data)
    assert response.status_code == 403
    assert AuditEvent.objects.count() == events
    org.refresh_from_db()
    assert org.scim_enabled is True
    assert ScimToken.objects.get().revoked_at is None
    assert list(GroupRoleMapping.objects.values_list("pk", flat=True)) == [objects["mapping"].pk]


def test_inactive_admin_membership_is_not_enough(url, org):
    membership = AdminMembershipFactory(organization=org, is_active=False)
    client = Client()
    client.force_login(membership.user)
    assert client.get(url("sso_provisioning", org)).status_code == 403


def test_invited_admin_cannot_use_the_sso_page_until_setup(url, org, objects):
    """A SCIM-provisioned admin (staff, as the SAML login makes them) who has not finished
    account setup administers nothing yet: orgs.permissions wants an accepted membership."""
    membership = AdminMembershipFactory(
        organization=org, status=MembershipStatus.INVITED, source=MembershipSource.SCIM
    )
    client = Client()
    client.force_login(membership.user)
    # Sent to set up their account first (the account-setup gate), whatever they open.
    for name, needs in GET_PAGES:
        response = client.get(url(name, org, *_args(objects, needs)))
        assert (response.status_code, response["Location"]) == (302, "/account/setup/"), name
    for name, needs, data in POST_ACTIONS:
        response = client.post(url(name, org, *_args(objects, needs)), data)
        assert (response.status_code, response["Location"]) == (302, "/account/setup/"), name
    assert client.get(f"/admin/orgs/organization/{org.pk}/change/").status_code != 200
    assert not AuditEvent.objects.exists()
    org.refresh_from_db()
    assert org.scim_enabled is True

    membership.status = MembershipStatus.ACCEPTED
    membership.save()
    client = Client()
    client.force_login(membership.user)
    assert client.get(url("sso_provisioning", org)).status_code == 200


def test_anonymous_is_sent_to_the_login_page(client, url, org):
    response = client.get(url("sso_provisioning", org))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=")
    response = client.post(url("scim_disable", org))
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.scim_enabled is True


def test_non_staff_user_is_sent_to_the_login_page(url, org):
    """An admin membership without staff status does not open the admin."""
    membership = AdminMembershipFactory(
        organization=org, user=UserFactory(is_staff=False, password=DEFAULT_PASSWORD)
    )
    client = Client()
    client.force_login(membership.user)
    response = client.get(url("sso_provisioning", org))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_unknown_or_malformed_org_id(admin_client_, superuser_client):
    """An org admin gets 403 for any id they do not administer, existing or not; a superuser
    gets 404 for one that does not exist."""
    malformed = "/admin/orgs/organization/not-a-uuid/sso/saml/"
    missing = "/admin/orgs/organization/00000000-0000-0000-0000-000000000000/sso/provisioning/"
    assert admin_client_.get(malformed).status_code == 403
    assert admin_client_.get(missing).status_code == 403
    assert superuser_client.get(malformed).status_code == 404
    assert superuser_client.get(missing).status_code == 404


def test_other_orgs_token_and_mapping_are_not_found_under_own_org(
    admin_client_, url, org, other_org
):
    """Object ids from another organization cannot be reached through one's own org's URL."""
    token = ScimTokenFactory(organization=other_org)
    mapping = GroupRoleMappingFactory(organization=other_org)
    assert admin_client_.post(url("scim_token_revoke", org, token.pk)).status_code == 404
    assert admin_client_.post(url("group_role_mapping_delete", org, mapping.pk)).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert GroupRoleMapping.objects.filter(pk=mapping.pk).exists()


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_only_get_and_post_are_allowed(admin_client_, url, org, method):
    response = getattr(admin_client_, method)(url("scim_disable", org))
    assert response.status_code == 405
    org.refresh_from_db()
    assert org.scim_enabled is True


def test_tabs_are_read_only_for_post(admin_client_, url, org):
    assert admin_client_.post(url("sso_provisioning", org)).status_code == 405
    assert admin_client_.post(url("sso_saml", org)).status_code == 405


def test_csrf_is_enforced_on_every_state_change(org_admin, url, org):
    """With real CSRF checks a POST without the token is refused and changes nothing; the same
    POST with the token from the confirmation page's form goes through."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(org_admin.user)
    for name, data in [
        ("scim_disable", {}),
        ("scim_token_create", {"description": "x", "ttl_days": "1", "nonce": "n"}),
        ("group_role_mapping_add", {"idp_group_name": "Admins", "role": "admin"}),
    ]:
        assert client.post(url(name, org), data).status_code == 403
    org.refresh_from_db()
    assert org.scim_enabled is True
    assert not ScimToken.objects.exists()
    assert not GroupRoleMapping.objects.exists()
    assert not AuditEvent.objects.exists()

    confirm = client.get(url("scim_disable", org))
    csrf = confirm.context["csrf_token"]
    assert f'name="csrfmiddlewaretoken" value="{csrf}"' in confirm.content.decode()
    response = client.post(url("scim_disable", org), {"csrfmiddlewaretoken": str(csrf)})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.scim_enabled is False


def test_organization_page_links_to_the_sso_page(admin_client_, url, org):
    response = admin_client_.get(f"/admin/orgs/organization/{org.pk}/change/")
    assert response.status_code == 200
    assert f'href="{url("sso", org)}"' in response.content.decode()


"""Group role mappings on the Provisioning tab: add and delete through the services."""

from __future__ import annotations

import pytest

from orgs.models import AuditEvent, GroupRoleMapping, Role
from orgs.services import role_for_new_member
from tests.factories import GroupRoleMappingFactory

pytestmark = pytest.mark.django_db


def test_add_mapping_is_used_for_new_members(admin_client_, url, org, org_admin):
    response = admin_client_.post(
        url("group_role_mapping_add", org), {"idp_group_name": " Roster Admins ", "role": "admin"},
        follow=True,
    )
    mapping = GroupRoleMapping.objects.get()
    assert (mapping.organization, mapping.idp_group_name, mapping.role) == (
        org, "Roster Admins", Role.ADMIN
    )
    html = response.content.decode()
    assert "get the role Admin" in html
    assert "<td>Roster Admins</td>" in html
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_id) == ("org.group_role_mapping.set", str(org_admin.user.pk))
    assert role_for_new_member(organization=org, group_names=["roster admins"]) == Role.ADMIN


def test_an_existing_name_is_replaced_only_after_confirmation(admin_client_, url, org):
    """Names compare ignoring case: "OKTA ADMINS" is the mapping "Okta Admins". Adding it with
    another role asks first and changes nothing; confirming replaces it and says so."""
    GroupRoleMappingFactory(organization=org, idp_group_name="Okta Admins", role=Role.ADMIN)
    confirm = admin_client_.post(
        url("group_role_mapping_add", org), {"idp_group_name": "OKTA ADMINS", "role": "member"}
    )
    html = confirm.content.decode()
    assert "“Okta Admins” is already mapped to Admin." in html
    assert "Yes, replace the mapping" in html
    assert list(GroupRoleMapping.objects.values_list("idp_group_name", "role")) == [
        ("Okta Admins", Role.ADMIN)
    ]
    assert not AuditEvent.objects.exists()
    done = admin_client_.post(
        url("group_role_mapping_add", org),
        {"idp_group_name": "OKTA ADMINS", "role": "member", "replace": "on"}, follow=True,
    )
    assert "Replaced the mapping for “Okta Admins”: now members provisioned by SCIM" in (
        done.content.decode()
    )
    assert list(GroupRoleMapping.objects.values_list("idp_group_name", "role")) == [
        ("Okta Admins", Role.MEMBER)
    ]
    event = AuditEvent.objects.get()
    assert event.data == {"idp_group_name": "Okta Admins", "role": "member",
                          "replaced_role": "admin"}


def test_adding_the_same_mapping_again_changes_nothing(admin_client_, url, org):
    GroupRoleMappingFactory(organization=org, idp_group_name="Engineers", role=Role.ADMIN)
    response = admin_client_.post(
        url("group_role_mapping_add", org), {"idp_group_name": "ENGINEERS", "role": "admin"}
    )
    assert response.status_code == 302
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"idp_group_name": "  ", "role": "admin"}, "This field is required."),
        ({"idp_group_name": "Admins", "role": "owner"}, "Select a valid choice."),
        ({"idp_group_name": "x" * 256, "role": "admin"}, "at most 255 characters"),
    ],
)
def test_bad_mapping_is_a_form_error(admin_client_, url, org, data, error):
    response = admin_client_.post(url("group_role_mapping_add", org), data)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert response.context["mapping_form"].errors
    assert not GroupRoleMapping.objects.exists()
    assert not AuditEvent.objects.exists()


def test_delete_asks_then_deletes(admin_client_, url, org):
    mapping = GroupRoleMappingFactory(organization=org, idp_group_name="Contractors")
    confirm = admin_client_.get(url("group_role_mapping_delete", org, mapping.pk))
    assert "Yes, delete this mapping" in confirm.content.decode()
    assert GroupRoleMapping.objects.exists()
    response = admin_client_.post(url("group_role_mapping_delete", org, mapping.pk), follow=True)
    assert not GroupRoleMapping.objects.exists()
    assert "Deleted the mapping for “Contractors”" in response.content.decode()
    assert AuditEvent.objects.get().action == "org.group_role_mapping.deleted"


def test_get_on_add_changes_nothing(admin_client_, url, org):
    response = admin_client_.get(url("group_role_mapping_add", org))
    assert response.status_code == 302
    assert not GroupRoleMapping.objects.exists()

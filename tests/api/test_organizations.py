"""Organizations: list and read what the caller administers; change settings and the two
switches through their services, all or nothing, audited as in the admin."""

from __future__ import annotations

import pytest

from orgs.models import AuditEvent, Organization
from orgs.plans import Plan
from sso.models import SamlConnection
from tests.api.conftest import error
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def test_list_shows_only_the_organizations_the_caller_administers(api, org, other_org):
    response = api.get("/organizations/")
    assert response.status_code == 200
    body = response.json()
    assert [o["slug"] for o in body["results"]] == ["acme"]
    assert body["next"] is None and body["previous"] is None


def test_an_operator_lists_every_organization(superuser_api, org, other_org):
    body = superuser_api.get("/organizations/").json()
    assert [o["slug"] for o in body["results"]] == ["acme", "globex"]  # by creation


def test_read_by_id_or_slug(api, org):
    by_id = api.get(f"/organizations/{org.pk}/")
    by_slug = api.get("/organizations/acme")  # the trailing slash is optional
    assert by_id.status_code == by_slug.status_code == 200
    assert by_id.json() == by_slug.json() == {
        "id": str(org.pk), "name": "Acme", "slug": "acme", "plan": "enterprise",
        "default_role": "member", "sso_jit_provisioning": False, "scim_enabled": True,
        "sso_enforced": False, "created_at": by_id.json()["created_at"],
        "updated_at": by_id.json()["updated_at"],
    }


def test_update_plain_settings_is_audited_like_the_admin(api, org, org_admin):
    response = api.patch("/organizations/acme/", {
        "name": "Acme Corp", "default_role": "no-access", "sso_jit_provisioning": True,
    })
    assert response.status_code == 200, response.json()
    assert response.json()["name"] == "Acme Corp"
    org.refresh_from_db()
    assert (org.name, org.default_role, org.sso_jit_provisioning) == (
        "Acme Corp", "no-access", True)
    event = AuditEvent.objects.get(organization=org, action="org.updated")
    assert event.actor_kind == "user" and event.actor_label == org_admin.user.email
    assert event.data["changes"]["name"] == ["Acme", "Acme Corp"]
    assert event.user_agent == "roster-api-tests" and event.request_id


def test_turning_scim_off_and_on_uses_the_toggle(api, org):
    assert api.patch("/organizations/acme/", {"scim_enabled": False}).json()[
        "scim_enabled"] is False
    assert api.patch("/organizations/acme/", {"scim_enabled": True}).json()[
        "scim_enabled"] is True
    actions = list(AuditEvent.objects.filter(organization=org).order_by("id")
                   .values_list("action", flat=True))
    assert actions[-2:] == ["org.scim.disabled", "org.scim.enabled"]


def test_scim_needs_an_active_saml_connection_and_a_refusal_changes_nothing(api, org):
    org.scim_enabled = False
    org.save()
    SamlConnection.objects.filter(organization=org).update(is_active=False)
    response = api.patch("/organizations/acme/", {"name": "Renamed", "scim_enabled": True})
    assert response.status_code == 409
    assert response.json() == error("precondition_failed")
    assert "SAML" in response.json()["error"]["message"]
    org.refresh_from_db()
    assert org.name == "Acme" and not org.scim_enabled  # all or nothing
    assert not AuditEvent.objects.filter(organization=org, action="org.updated").exists()


def test_sso_enforcement_waits_for_a_successful_saml_login(api, org):
    response = api.patch("/organizations/acme/", {"sso_enforced": True})
    assert response.status_code == 409
    assert response.json() == error("precondition_failed")
    conn = SamlConnection.objects.get(organization=org)
    conn.last_login_at = conn.configured_at
    conn.save()
    response = api.patch("/organizations/acme/", {"sso_enforced": True})
    assert response.status_code == 200 and response.json()["sso_enforced"] is True
    assert AuditEvent.objects.filter(organization=org, action="org.sso.enforced").count() == 1


def test_a_plan_without_scim_is_403(superuser_api, db):
    free = OrganizationFactory(slug="free-co", plan=Plan.FREE)
    response = superuser_api.patch("/organizations/free-co/", {"scim_enabled": True})
    assert response.status_code == 403
    assert response.json() == error("feature_not_available")
    assert not Organization.objects.get(pk=free.pk).scim_enabled


def test_only_operators_change_the_plan(api, superuser_api, org):
    response = api.patch("/organizations/acme/", {"plan": "free"})
    assert response.status_code == 403
    assert response.json() == error("permission_denied", fields={
        "plan": ["Only Roster operators change the plan."]})
    assert api.patch("/organizations/acme/", {"plan": "enterprise"}).status_code == 200  # same
    assert superuser_api.patch("/organizations/acme/", {"plan": "free"}).json()["plan"] == "free"


@pytest.mark.parametrize(("body", "fields"), [
    ({"name": ""}, {"name": ["This field may not be blank."]}),
    ({"name": "x" * 201}, {"name": ["Ensure this field has no more than 200 characters."]}),
    ({"name": "Evil\u202eCorp"}, {"name": [
        "The value contains a bidirectional control character (U+202E)."]}),
    ({"default_role": "owner"}, {"default_role": ['"owner" is not a valid choice.']}),
    ({"scim_enabled": "perhaps"}, {"scim_enabled": ["Must be a valid boolean."]}),
    ({"scim_enable": True}, {"scim_enable": ["Unknown field."]}),
    ({"slug": "new"}, {"slug": ["Unknown field."]}),
    (["name"], {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
])
def test_validation_errors_name_the_field(api, org, body, fields):
    response = api.patch("/organizations/acme/", body)
    assert response.status_code == 400
    assert response.json() == error("invalid", fields=fields)
    assert Organization.objects.get(pk=org.pk).name == "Acme"

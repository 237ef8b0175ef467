"""API keys: the service (hashed at rest, shown once, scoped, optional expiry, audited in every
organization they reach) and the admin's API keys page (own keys only, shown once, revoke)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api import services
from api.models import ApiKey
from orgs.audit import Actor
from orgs.exceptions import InvalidInput, PreconditionFailed
from orgs.models import AuditEvent
from orgs.permissions import SESSION_SCOPE_KEY
from tests.api.conftest import ApiClient
from tests.factories import AdminMembershipFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def create(user, **kwargs):
    kwargs.setdefault("allowed_org_ids", None)
    return services.api_key_create(user=user, actor=Actor.for_user(user), **kwargs)


# --- the service -------------------------------------------------------------------------------


def test_a_key_is_stored_as_its_hash_and_authenticates(org_admin, org):
    created = create(org_admin.user, allowed_org_ids={org.pk}, description="deploy")
    key = created.key
    assert re.fullmatch(r"rst_api_[A-Za-z0-9_-]{43}", created.plaintext)
    assert key.prefix == created.plaintext[:14]
    assert key.key_hash == services.hash_key(created.plaintext)
    assert created.plaintext not in str(ApiKey.objects.filter(pk=key.pk).values().get())
    assert key.expires_at - key.created_at == timedelta(days=90)
    assert services.api_key_authenticate(created.plaintext) == key
    assert services.api_key_authenticate(created.plaintext + "x") is None
    assert services.api_key_authenticate("rst_scim_" + created.plaintext[8:]) is None


def test_last_used_is_written_at_most_once_a_minute(api, org_admin, django_assert_num_queries):
    api.get("/organizations/")
    key = ApiKey.objects.get(user=org_admin.user)
    assert key.last_used_at is not None
    with django_assert_num_queries(1):  # the lookup; no write
        services.api_key_authenticate(api.key)


def test_creation_and_revocation_are_audited_in_every_organization_the_key_reaches(
    org, other_org
):
    both = AdminMembershipFactory(organization=org).user
    MembershipFactory(organization=other_org, user=both, role="admin")
    created = create(both, allowed_org_ids={org.pk, other_org.pk})
    events = AuditEvent.objects.filter(action="api.key.created")
    assert {e.organization_id for e in events} == {org.pk, other_org.pk}
    assert events[0].data["prefix"] == created.key.prefix
    assert created.plaintext not in str(list(events.values()))
    services.api_key_revoke(key=created.key, actor=Actor.for_user(both))
    services.api_key_revoke(key=created.key, actor=Actor.for_user(both))  # no-op
    assert AuditEvent.objects.filter(action="api.key.revoked").count() == 2


def test_a_narrowed_key_is_audited_in_its_organization_only(org, other_org):
    both = AdminMembershipFactory(organization=org).user
    MembershipFactory(organization=other_org, user=both, role="admin")
    create(both, allowed_org_ids={org.pk, other_org.pk}, organization=other_org)
    assert [e.organization for e in AuditEvent.objects.filter(action="api.key.created")] == [
        other_org]


@pytest.mark.parametrize(("kwargs", "refusal"), [
    ({"allowed_org_ids": set()}, PreconditionFailed),
    ({"allowed_org_ids": {"another"}, "organization": "org"}, InvalidInput),
    ({"session_scoped": True}, InvalidInput),
    ({"expires_in_days": -1}, InvalidInput),
    ({"expires_in_days": 3651}, InvalidInput),
    ({"expires_in_days": True}, InvalidInput),
    ({"description": "x" * 201}, InvalidInput),
    ({"description": "bad\x00"}, InvalidInput),
])
def test_refusals(org, org_admin, kwargs, refusal):
    if kwargs.get("organization") == "org":
        kwargs["organization"] = org
    with pytest.raises(refusal):
        create(org_admin.user, **({"allowed_org_ids": {org.pk}} | kwargs))
    assert not ApiKey.objects.exists()


def test_a_key_that_never_expires(org_admin, org):
    key = create(org_admin.user, allowed_org_ids={org.pk}, expires_in_days=0).key
    assert key.expires_at is None and key.status == "active"


# --- the admin's API keys page -----------------------------------------------------------------


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def create_in_admin(client: Client, **data):
    form = client.get(reverse("admin:api_apikey_add"))
    assert form.status_code == 200
    nonce = form.context["form"].initial["nonce"]
    return client.post(reverse("admin:api_apikey_add"), {
        "description": "deploy pipeline", "organization": "", "expires_in_days": "30",
        "nonce": nonce} | data)


def test_an_org_admin_creates_a_key_sees_it_once_and_it_works(org, org_admin):
    client = admin_client(org_admin.user)
    response = create_in_admin(client)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    plaintext = response.context["plaintext"]
    assert plaintext in response.content.decode()
    key = ApiKey.objects.get(user=org_admin.user)
    assert (key.description, key.organization) == ("deploy pipeline", None)
    assert ApiClient(Client(), plaintext).get("/organizations/acme/").status_code == 200
    listing = client.get(reverse("admin:api_apikey_changelist")).content.decode()
    assert key.prefix in listing and plaintext not in listing
    detail = client.get(reverse("admin:api_apikey_change", args=[key.pk])).content.decode()
    assert key.prefix in detail and plaintext not in detail
    event = AuditEvent.objects.get(action="api.key.created")
    assert event.organization == org and event.actor_label == org_admin.user.email


def test_a_replayed_create_makes_nothing_and_shows_nothing(org, org_admin):
    client = admin_client(org_admin.user)
    form = client.get(reverse("admin:api_apikey_add"))
    data = {"description": "d", "organization": "", "expires_in_days": "30",
            "nonce": form.context["form"].initial["nonce"]}
    first = client.post(reverse("admin:api_apikey_add"), data)
    again = client.post(reverse("admin:api_apikey_add"), data)
    assert again.status_code == 302
    assert first.context["plaintext"] not in client.get(again["Location"]).content.decode()
    assert ApiKey.objects.count() == 1


def test_the_form_offers_only_administered_organizations_and_checks_input(org, other_org,
                                                                          org_admin):
    client = admin_client(org_admin.user)
    form = client.get(reverse("admin:api_apikey_add")).context["form"]
    assert list(form.fields["organization"].queryset) == [org]
    response = create_in_admin(client, organization=str(other_org.pk), expires_in_days="9999")
    assert response.status_code == 200 and "plaintext" not in response.context
    assert set(response.context["form"].errors) == {"organization", "expires_in_days"}
    assert not ApiKey.objects.exists()


def test_a_saml_session_must_name_the_organization(org, org_admin):
    client = admin_client(org_admin.user)
    session = client.session
    session[SESSION_SCOPE_KEY] = [str(org.pk)]
    session.save()
    response = create_in_admin(client)
    assert "plaintext" not in response.context
    assert "one organization at a time" in response.content.decode()
    response = create_in_admin(client, organization=str(org.pk))
    assert ApiKey.objects.get().organization == org and response.context["plaintext"]


def test_everyone_sees_and_revokes_only_their_own_keys(org, org_admin):
    mine = create(org_admin.user, allowed_org_ids={org.pk}).key
    other = AdminMembershipFactory(organization=org).user
    theirs = create(other, allowed_org_ids={org.pk}).key
    client = admin_client(org_admin.user)
    listing = client.get(reverse("admin:api_apikey_changelist")).content.decode()
    assert mine.prefix in listing and theirs.prefix not in listing
    assert client.get(reverse("admin:api_apikey_change", args=[theirs.pk])).status_code == 404
    revoke = reverse("admin:api_apikey_revoke", args=[theirs.pk])
    assert client.post(revoke).status_code == 404
    assert ApiKey.objects.get(pk=theirs.pk).revoked_at is None
    revoke = reverse("admin:api_apikey_revoke", args=[mine.pk])
    assert client.get(revoke).status_code == 200
    assert client.post(revoke).status_code == 302
    assert ApiKey.objects.get(pk=mine.pk).status == "revoked"


def test_an_operator_sees_only_their_own_keys_too(org, org_admin):
    create(org_admin.user, allowed_org_ids={org.pk})
    operator = UserFactory(is_staff=True, is_superuser=True)
    listing = admin_client(operator).get(reverse("admin:api_apikey_changelist"))
    assert listing.status_code == 200 and "0 API keys" in listing.content.decode()


def test_a_staff_member_who_administers_nothing_is_told_so(org):
    user = UserFactory(is_staff=True)
    MembershipFactory(organization=org, user=user)
    response = create_in_admin(admin_client(user))
    assert "You administer no organization" in response.content.decode()
    assert not ApiKey.objects.exists()


def test_non_staff_cannot_open_the_page(org):
    user = MembershipFactory(organization=org).user
    response = admin_client(user).get(reverse("admin:api_apikey_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_an_expired_key_shows_as_expired(org, org_admin):
    key = create(org_admin.user, allowed_org_ids={org.pk}).key
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(days=1))
    listing = admin_client(org_admin.user).get(reverse("admin:api_apikey_changelist"))
    assert "expired" in listing.content.decode()

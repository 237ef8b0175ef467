"""Identity as the IdP sees it (issue 10): members are keyed by the IdP's userName and
externalId, and an account is linked only at a verified sign-in, with proof when another
organization already uses it.

Each test provisions through the real SCIM API with Okta's or Entra's shapes and signs in
with responses signed by the test's own IdP key.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from orgs.audit import Actor
from orgs.models import AuditEvent, Membership, Role, User
from orgs.permissions import SESSION_SCOPE_KEY
from scim.services import scim_token_create
from sso import saml
from tests.factories import MembershipFactory, UserFactory
from tests.scim.conftest import PATCH_OP, ScimClient, scim_body
from tests.sso.conftest import HOST, connect, post_acs

pytestmark = pytest.mark.django_db


def scim_for(org) -> ScimClient:
    token = scim_token_create(organization=org, actor=Actor.system(), description="IdP")
    return ScimClient(Client(), token.plaintext)


def provision(org, user_name: str, email: str, **extra) -> str:
    response = scim_for(org).post("/Users", {
        "userName": user_name,
        "emails": [{"value": email, "type": "work", "primary": True}], **extra,
    })
    assert response.status_code == 201, response.content
    return scim_body(response)["id"]


def sign_in(client: Client, org, idp, name_id: str, email: str | None = None):
    """An IdP-initiated sign-in whose NameID is ``name_id`` and ``email`` attribute ``email``."""
    attributes = {"email": email or name_id, "firstName": "Test", "lastName": "User"}
    xml = idp.response_xml(email=name_id, acs_url=saml.acs_url(org),
                           audience=saml.sp_entity_id(org), attributes=attributes)
    return post_acs(client, org, xml)


def refusal(response) -> str:
    assert response.status_code == 403, response.content
    return response.content.decode().split('data-reason="')[1].split('"')[0]


def signed_in_as(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


@pytest.fixture
def globex(other_org, evil_idp):
    connect(other_org, evil_idp)
    return other_org


@pytest.fixture
def acme_boss(saml_org):
    """Acme's admin, signed in through Acme before: an account Acme verified."""
    user = UserFactory(email="boss@acme.example", setup_completed_at=dt.datetime.now(dt.UTC))
    return MembershipFactory(organization=saml_org, user=user, role=Role.ADMIN)


def test_entra_upn_name_id_signs_in_the_member_with_that_user_name(client, saml_org, idp):
    """emp1 and emp2 share a mailbox; Entra's NameID is the UPN (the SCIM userName)."""
    emp1 = provision(saml_org, "emp1@contoso.example", "shared@contoso.example")
    emp2 = provision(saml_org, "emp2@contoso.example", "shared@contoso.example")

    response = sign_in(client, saml_org, idp, "emp2@contoso.example", "shared@contoso.example")

    assert response.status_code == 302
    member = Membership.objects.select_related("user").get(pk=emp2)
    assert signed_in_as(client) == member.user
    assert member.user.email == "emp2@contoso.example" and member.linked_at is not None
    assert Membership.objects.get(pk=emp1).user is None
    event = AuditEvent.objects.get(action="membership.account_linked")
    assert event.target_id == emp2


def test_a_name_id_that_is_not_an_email_is_matched_to_user_name(client, saml_org, idp):
    uid = provision(saml_org, "jdoe", "jane.doe@contoso.example")
    response = sign_in(client, saml_org, idp, "jdoe", "jane.doe@contoso.example")
    assert response.status_code == 302
    member = Membership.objects.select_related("user").get(pk=uid)
    assert member.user.email == "jane.doe@contoso.example"
    assert signed_in_as(client) == member.user


def test_name_id_falls_back_to_the_members_email(client, saml_org, idp):
    """Okta's NameID is the email; a member whose userName differs is found by it."""
    uid = provision(saml_org, "00u1abcd", "ann@acme.example")
    assert sign_in(client, saml_org, idp, "Ann@Acme.example").status_code == 302
    assert Membership.objects.get(pk=uid).user == signed_in_as(client)


def test_members_sharing_an_email_are_never_guessed(client, saml_org, idp):
    provision(saml_org, "emp1@contoso.example", "shared@contoso.example")
    provision(saml_org, "emp2@contoso.example", "shared@contoso.example")

    response = sign_in(client, saml_org, idp, "shared@contoso.example")

    assert refusal(response) == "ambiguous_user"
    assert "NameID" in response.content.decode()
    assert not Membership.objects.filter(user__isnull=False).exists()
    assert signed_in_as(client) is None


def test_first_sign_in_makes_and_links_the_account(client, saml_org, idp):
    uid = provision(saml_org, "new@acme.example", "new@acme.example")
    assert not User.objects.exists()
    response = sign_in(client, saml_org, idp, "new@acme.example")
    assert response["Location"] == "/account/setup/"
    account = User.objects.get()
    assert Membership.objects.get(pk=uid).user == account == signed_in_as(client)
    assert not account.has_usable_password()


def test_an_unused_account_is_linked_on_the_idps_word(client, saml_org, idp):
    """An account no other organization uses (made by an operator, say) is this org's to link."""
    account = UserFactory(email="solo@acme.example")
    uid = provision(saml_org, "solo@acme.example", "solo@acme.example")
    assert sign_in(client, saml_org, idp, "solo@acme.example").status_code == 302
    assert Membership.objects.get(pk=uid).user == account


def test_another_orgs_idp_cannot_open_an_account_acme_verified(
    client, saml_org, globex, evil_idp, acme_boss
):
    """Globex provisions Acme's admin's email and its IdP asserts it: refused, nothing linked."""
    uid = provision(globex, "boss@acme.example", "boss@acme.example")

    response = sign_in(client, globex, evil_idp, "boss@acme.example")

    assert refusal(response) == "account_needs_proof"
    assert signed_in_as(client) is None
    assert Membership.objects.get(pk=uid).user is None
    assert list(acme_boss.user.memberships.all()) == [acme_boss]
    event = AuditEvent.objects.get(organization=globex, action="sso.login.refused")
    assert event.data["reason"] == "account_needs_proof"


def test_a_scim_create_with_someone_elses_email_opens_nothing(
    client, saml_org, globex, evil_idp, acme_boss
):
    """Globex's IdP creates a member with Acme's admin's email and a userName of its own
    choosing, then signs in with that userName: still the account's proof is missing."""
    provision(globex, "mallory", "boss@acme.example")
    response = sign_in(client, globex, evil_idp, "mallory", "boss@acme.example")
    assert refusal(response) == "account_needs_proof"
    assert signed_in_as(client) is None


def test_with_proof_and_confirmation_the_account_is_linked(
    saml_org, idp, globex, evil_idp, acme_boss
):
    """Boss is in Globex too: signed in through Acme (proof), Globex's sign-in asks them to
    confirm on Roster's own page; a POST without the CSRF token links nothing."""
    uid = provision(globex, "boss@acme.example", "boss@acme.example")
    client = Client(enforce_csrf_checks=True)
    assert sign_in(client, saml_org, idp, "boss@acme.example").status_code == 302

    response = sign_in(client, globex, evil_idp, "boss@acme.example")
    link_url = f"/sso/saml/{globex.slug}/link/"
    assert response["Location"] == link_url
    assert Membership.objects.get(pk=uid).user is None  # nothing yet

    page = client.get(link_url, HTTP_HOST=HOST, secure=True)
    assert page.status_code == 200 and "Link your account to Globex?" in page.content.decode()
    forged = client.post(link_url, {"confirm": "1"}, HTTP_HOST=HOST, secure=True)
    assert forged.status_code == 403
    assert Membership.objects.get(pk=uid).user is None

    csrf = page.content.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = client.post(link_url, {"confirm": "1", "csrfmiddlewaretoken": csrf},
                           HTTP_HOST=HOST, secure=True, HTTP_REFERER=f"https://{HOST}{link_url}")
    assert response.status_code == 302
    assert Membership.objects.get(pk=uid).user == acme_boss.user
    assert set(client.session[SESSION_SCOPE_KEY]) == {str(saml_org.pk), str(globex.pk)}
    assert AuditEvent.objects.filter(organization=globex,
                                     action="membership.account_linked").count() == 1


def test_a_link_confirmation_is_for_the_signed_in_person_only(
    saml_org, idp, globex, evil_idp, acme_boss
):
    provision(globex, "boss@acme.example", "boss@acme.example")
    client = Client()
    sign_in(client, saml_org, idp, "boss@acme.example")
    sign_in(client, globex, evil_idp, "boss@acme.example")
    stranger = Client()
    response = stranger.get(f"/sso/saml/{globex.slug}/link/", HTTP_HOST=HOST, secure=True)
    assert response.status_code == 410
    # Cancelling links nothing and the offer is gone.
    client.post(f"/sso/saml/{globex.slug}/link/", {"cancel": "1"}, HTTP_HOST=HOST, secure=True)
    assert client.get(f"/sso/saml/{globex.slug}/link/", HTTP_HOST=HOST,
                      secure=True).status_code == 410
    assert not Membership.objects.filter(organization=globex, user__isnull=False).exists()


def test_email_and_user_name_changes_never_move_the_link(client, saml_org, idp):
    other = UserFactory(email="someone.else@acme.example")
    uid = provision(saml_org, "jane@acme.example", "jane@acme.example")
    sign_in(client, saml_org, idp, "jane@acme.example")
    account = Membership.objects.get(pk=uid).user
    scim = scim_for(saml_org)

    response = scim.patch(f"/Users/{uid}", {"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "path": 'emails[type eq "work"].value',
         "value": "someone.else@acme.example"},
        {"op": "replace", "path": "userName", "value": "jane.roe@acme.example"},
    ]})
    assert response.status_code == 200
    member = Membership.objects.get(pk=uid)
    assert (member.email, member.scim_user_name) == (
        "someone.else@acme.example", "jane.roe@acme.example"
    )
    assert member.user == account and other.memberships.count() == 0
    account.refresh_from_db()
    assert account.email == "jane@acme.example"

    fresh = Client()
    assert sign_in(fresh, saml_org, idp, "jane.roe@acme.example").status_code == 302
    assert signed_in_as(fresh) == account


def test_reactivation_keeps_the_scim_id_and_the_account(client, saml_org, idp):
    uid = provision(saml_org, "jane@acme.example", "jane@acme.example")
    sign_in(client, saml_org, idp, "jane@acme.example")
    account = Membership.objects.get(pk=uid).user
    scim = scim_for(saml_org)
    current = scim_body(scim.get(f"/Users/{uid}"))
    assert scim_body(scim.put(f"/Users/{uid}", {**current, "active": False}))["active"] is False
    assert refusal(sign_in(Client(), saml_org, idp, "jane@acme.example")) == "deactivated"
    body = scim_body(scim.put(f"/Users/{uid}", {**current, "active": True}))
    assert (body["id"], body["active"]) == (uid, True)
    assert Membership.objects.get(pk=uid).user == account

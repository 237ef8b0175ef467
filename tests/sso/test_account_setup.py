"""First-login account setup, server side: what is accepted, stored and refused."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse

from orgs.models import AuditEvent, MembershipSource, MembershipStatus, Role
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.sso.conftest import HOST, connect
from tests.sso.keys import browser_like_setup

pytestmark = pytest.mark.django_db

SETUP = "/account/setup/"


@pytest.fixture
def invited(saml_org):
    """A SCIM-provisioned member of Acme who has not set up their account."""
    return MembershipFactory(
        organization=saml_org, user=UserFactory(email="new.hire@okta.local"),
        status=MembershipStatus.INVITED, source=MembershipSource.SCIM,
    )


@pytest.fixture
def signed_in(client, invited, sign_in):
    """``client`` after the invited member's SAML login."""
    response = sign_in(invited.organization, invited.user.email)
    assert response["Location"] == SETUP
    return client


def post_setup(client: Client, data: dict[str, str]):
    fields = {k: v for k, v in data.items() if not k.startswith("_")}
    return client.post(SETUP, fields, HTTP_HOST=HOST, secure=True)


def test_setup_page_sends_nothing_but_the_three_fields(signed_in):
    page = signed_in.get(SETUP, HTTP_HOST=HOST, secure=True)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="public_key"' in html and 'name="encrypted_private_key"' in html
    assert 'id="passphrase"' in html
    assert 'name="passphrase' not in html  # the passphrase inputs are never submitted
    assert "crypto.subtle" in html


def test_setup_stores_the_keys_and_accepts_invitations(
    signed_in, invited, other_org, idp, sign_in
):
    """The keys are the person's; the invitations accepted are those of the organization whose
    IdP signed them in. Another organization's is accepted at its own first SAML login."""
    second = MembershipFactory(
        organization=other_org, user=invited.user, status=MembershipStatus.INVITED
    )
    gone = MembershipFactory(
        organization=OrganizationFactory(), user=invited.user, status=MembershipStatus.INVITED,
        is_active=False,
    )
    data = browser_like_setup()
    page = signed_in.get(SETUP, HTTP_HOST=HOST, secure=True).content.decode()
    assert "<strong>Acme</strong>" in page and "Globex" not in page

    response = post_setup(signed_in, data)

    assert response.status_code == 302
    assert response["Location"] == reverse("account:home")
    user = invited.user
    user.refresh_from_db()
    assert user.setup_completed_at is not None
    assert user.public_key == data["public_key"]
    assert user.encrypted_private_key == data["encrypted_private_key"]
    assert user.encrypted_private_key != data["_pkcs8"]
    assert user.key_derivation == json.loads(data["key_derivation"])
    for membership, status in ((invited, "accepted"), (second, "invited"), (gone, "invited")):
        membership.refresh_from_db()
        assert membership.status == status
    accepted = AuditEvent.objects.filter(action="membership.accepted")
    assert {e.organization_id for e in accepted} == {invited.organization_id}
    setup_event = AuditEvent.objects.get(action="account.setup_completed")
    assert data["encrypted_private_key"] not in json.dumps(setup_event.data)
    home = signed_in.get(reverse("account:home"), HTTP_HOST=HOST, secure=True)
    assert home.status_code == 200
    assert b"Acme" in home.content and b"Globex" not in home.content

    connect(other_org, idp)
    assert sign_in(other_org, user.email)["Location"] == reverse("account:home")
    second.refresh_from_db()
    assert second.status == "accepted"
    home = signed_in.get(reverse("account:home"), HTTP_HOST=HOST, secure=True)
    assert b"Acme" in home.content and b"Globex" in home.content


def test_a_bare_private_key_is_refused(signed_in, invited):
    data = browser_like_setup()
    data["encrypted_private_key"] = data["_pkcs8"]

    response = post_setup(signed_in, data)

    assert response.status_code == 400
    assert b"unencrypted private key" in response.content
    invited.user.refresh_from_db()
    assert invited.user.setup_completed_at is None
    assert invited.user.encrypted_private_key == ""


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("public_key", "bm90IGEga2V5", b"not a valid SubjectPublicKeyInfo"),
        ("public_key", "***", b"not valid base64"),
        ("encrypted_private_key", "c2hvcnQ=", b"impossible size"),
        ("key_derivation", "{}", b"must be exactly"),
        ("key_derivation", "not json", b"not valid JSON"),
    ],
)
def test_malformed_key_material_is_refused(signed_in, invited, field, value, message):
    data = browser_like_setup()
    data[field] = value
    response = post_setup(signed_in, data)
    assert response.status_code == 400
    assert message in response.content
    invited.refresh_from_db()
    assert invited.status == MembershipStatus.INVITED


def test_a_weak_key_derivation_is_refused(signed_in):
    data = browser_like_setup()
    kdf = json.loads(data["key_derivation"])
    kdf["iterations"] = 1000
    data["key_derivation"] = json.dumps(kdf)
    response = post_setup(signed_in, data)
    assert response.status_code == 400
    assert b"iterations" in response.content


def test_setup_needs_a_csrf_token(invited):
    client = Client(enforce_csrf_checks=True)
    client.force_login(invited.user)
    response = post_setup(client, browser_like_setup())
    assert response.status_code == 403
    invited.user.refresh_from_db()
    assert invited.user.setup_completed_at is None


def test_setup_is_done_once(signed_in, invited):
    assert post_setup(signed_in, browser_like_setup()).status_code == 302
    invited.user.refresh_from_db()
    first_key = invited.user.public_key

    response = post_setup(signed_in, browser_like_setup())

    assert response.status_code == 302
    invited.user.refresh_from_db()
    assert invited.user.public_key == first_key


def test_anonymous_visitors_are_not_set_up(client):
    response = client.get(SETUP, HTTP_HOST=HOST, secure=True)
    assert response.status_code == 302 and response["Location"] == reverse("account:home")
    home = client.get(reverse("account:home"), HTTP_HOST=HOST, secure=True)
    assert b"not signed in" in home.content


def test_invited_admin_cannot_use_the_admin_until_setup(client, saml_org, sign_in):
    admin = MembershipFactory(
        organization=saml_org, user=UserFactory(email="new.admin@okta.local"), role=Role.ADMIN,
        status=MembershipStatus.INVITED, source=MembershipSource.SCIM,
    )
    assert sign_in(saml_org, admin.user.email)["Location"] == SETUP
    org_page = reverse("admin:orgs_organization_change", args=[saml_org.pk])

    before = client.get(org_page, HTTP_HOST=HOST, secure=True)
    assert before.status_code != 200

    response = post_setup(client, browser_like_setup())
    assert response["Location"] == org_page  # back to the org they signed in to
    assert client.get(org_page, HTTP_HOST=HOST, secure=True).status_code == 200


def test_set_up_member_joining_another_org_is_accepted_at_login(client, saml_org, sign_in):
    user = UserFactory(email="veteran@okta.local", setup_completed_at=dt.datetime.now(dt.UTC))
    membership = MembershipFactory(
        organization=saml_org, user=user, status=MembershipStatus.INVITED,
        source=MembershipSource.SCIM,
    )

    response = sign_in(saml_org, user.email)

    assert response["Location"] == reverse("account:home")
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACCEPTED


def test_account_page_lists_only_organizations_the_member_can_use(client, saml_org, other_org):
    """Invited (not signed in there yet), deactivated and no-access memberships are not
    offered; an accepted one is."""
    user = UserFactory(email="multi@okta.local", setup_completed_at=dt.datetime.now(dt.UTC))
    MembershipFactory(organization=saml_org, user=user)
    MembershipFactory(organization=other_org, user=user, status=MembershipStatus.INVITED,
                      role=Role.ADMIN)
    MembershipFactory(organization=OrganizationFactory(name="Gone Corp"), user=user,
                      is_active=False)
    MembershipFactory(organization=OrganizationFactory(name="Blocked Inc"), user=user,
                      role=Role.NO_ACCESS)
    client.force_login(user)

    page = client.get(reverse("account:home"), HTTP_HOST=HOST, secure=True)

    html = page.content.decode()
    assert "Acme" in html
    for hidden in ("Globex", "Gone Corp", "Blocked Inc", "Administer"):
        assert hidden not in html


@pytest.mark.django_db(transaction=True)
def test_setup_commits_outside_a_test_transaction(client, saml_org, sign_in):
    """Requests in production are not wrapped in a transaction: the service must open its own
    (its row lock is an error outside one on PostgreSQL)."""
    m = MembershipFactory(organization=saml_org, user=UserFactory(email="late@okta.local"),
                          status=MembershipStatus.INVITED, source=MembershipSource.SCIM)
    assert sign_in(saml_org, m.user.email)["Location"] == SETUP
    assert post_setup(client, browser_like_setup()).status_code == 302
    m.refresh_from_db()
    assert m.status == "accepted"

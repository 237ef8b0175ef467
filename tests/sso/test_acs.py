"""The ACS against real signed responses: what is accepted, and each way it must refuse."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from orgs.models import AuditEvent, MembershipSource, MembershipStatus, Role
from sso import saml
from sso.models import SamlConnection
from tests.factories import MembershipFactory, UserFactory
from tests.sso.conftest import (
    HOST,
    assert_refused,
    connect,
    good_response,
    post_acs,
    refusals,
)
from tests.sso.idp import (
    NS_SAML,
    RSA_SHA1,
    RSA_SHA256,
    SHA1,
    SHA256,
    authn_request_from_redirect,
    element,
    encode,
    new_id,
    tostring,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(saml_org):
    """An active, set-up member of Acme."""
    user = UserFactory(email="test.user@okta.local", setup_completed_at=dt.datetime.now(dt.UTC))
    return MembershipFactory(organization=saml_org, user=user)


# --- accepted ------------------------------------------------------------------------------


def test_idp_initiated_login_gives_a_member_a_session_and_the_account_page(
    client, saml_org, member, sign_in
):
    response = sign_in(saml_org, "Test.User@okta.local")

    assert response.status_code == 302
    assert response["Location"] == reverse("account:home")
    assert client.session["_auth_user_id"] == str(member.user.pk)
    event = AuditEvent.objects.get(organization=saml_org, action="sso.login.succeeded")
    assert event.target_id == str(member.pk)
    assert event.actor_label == member.user.email
    conn = SamlConnection.objects.get(organization=saml_org)
    assert conn.last_login_at is not None
    page = client.get(reverse("account:home"), HTTP_HOST=HOST, secure=True)
    assert page.status_code == 200
    assert saml_org.name.encode() in page.content


def test_sp_initiated_login_with_the_right_in_response_to(client, saml_org, member, idp):
    start = client.get(reverse("sso:login", args=[saml_org.slug]), HTTP_HOST=HOST, secure=True)
    assert start.status_code == 302
    assert start["Location"].startswith(idp.sso_url + "?SAMLRequest=")
    request_id, relay_state, authn_request = authn_request_from_redirect(start["Location"])
    assert authn_request.get("AssertionConsumerServiceURL") == saml.acs_url(saml_org)
    assert authn_request.findtext(f"{{{NS_SAML}}}Issuer") == saml.sp_entity_id(saml_org)

    xml = good_response(idp, saml_org, member.user.email, in_response_to=request_id)
    response = post_acs(client, saml_org, xml, relay_state=relay_state)

    assert response.status_code == 302, response.content
    assert client.session["_auth_user_id"] == str(member.user.pk)


def test_org_admin_lands_in_the_admin_for_their_org(client, saml_org, sign_in):
    user = UserFactory(email="boss@okta.local", setup_completed_at=dt.datetime.now(dt.UTC))
    MembershipFactory(organization=saml_org, user=user, role=Role.ADMIN)

    response = sign_in(saml_org, "boss@okta.local")

    assert response.status_code == 302
    admin_url = reverse("admin:orgs_organization_change", args=[saml_org.pk])
    assert response["Location"] == admin_url
    user.refresh_from_db()
    assert user.is_staff  # the admin site needs it; orgs.permissions scopes what they see
    assert client.get(admin_url, HTTP_HOST=HOST, secure=True).status_code == 200


def test_provisioned_member_is_sent_to_account_setup(client, saml_org, sign_in):
    membership = MembershipFactory(
        organization=saml_org,
        user=UserFactory(email="new@okta.local"),
        status=MembershipStatus.INVITED,
        source=MembershipSource.SCIM,
    )

    response = sign_in(saml_org, "new@okta.local")

    assert response.status_code == 302
    assert response["Location"] == reverse("account:setup")
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.INVITED  # accepted only after setup
    # Until then the organization is not usable: the account page sends them back to setup.
    page = client.get(reverse("account:home"), HTTP_HOST=HOST, secure=True)
    assert page.status_code == 302 and page["Location"] == reverse("account:setup")


def test_behind_a_tls_terminating_proxy(client, saml_org, member, idp):
    """The proxy talks plain http to an internal host; validation uses BASE_URL."""
    xml = good_response(idp, saml_org, member.user.email)
    response = client.post(
        reverse("sso:acs", args=[saml_org.slug]),
        {"SAMLResponse": encode(xml)},
        HTTP_HOST="roster-internal",
    )
    assert response.status_code == 302, response.content


def test_just_in_time_provisioning_when_the_org_allows_it(client, saml_org, sign_in):
    saml_org.sso_jit_provisioning = True
    saml_org.save()

    response = sign_in(saml_org, "fresh@okta.local", first_name="Fresh", last_name="Face")

    assert response.status_code == 302
    assert response["Location"] == reverse("account:setup")
    membership = saml_org.memberships.get(user__email="fresh@okta.local")
    assert membership.source == MembershipSource.SSO
    assert membership.status == MembershipStatus.INVITED
    assert membership.user.first_name == "Fresh"


# --- refused -------------------------------------------------------------------------------


def test_tampered_attribute_is_refused(client, saml_org, member, idp):
    xml = good_response(idp, saml_org, member.user.email)
    tampered = xml.replace(">Test</saml2:AttributeValue>", ">Mallory</saml2:AttributeValue>")
    assert tampered != xml
    assert_refused(
        post_acs(client, saml_org, tampered),
        saml_org,
        "invalid_response",
        because="Signature validation failed",
    )


def test_tampered_name_id_is_refused(client, saml_org, member, idp):
    """Signed for another person, NameID swapped for the victim's email."""
    xml = good_response(idp, saml_org, "someone.else@okta.local")
    tampered = xml.replace(
        ">someone.else@okta.local</saml2:NameID>", f">{member.user.email}</saml2:NameID>"
    )
    assert_refused(
        post_acs(client, saml_org, tampered),
        saml_org,
        "invalid_response",
        because="Signature validation failed",
    )


def test_unsigned_assertion_is_refused(client, saml_org, member, idp):
    org = saml_org
    assertion = idp.assertion(
        email=member.user.email, audience=saml.sp_entity_id(org), recipient=saml.acs_url(org)
    )
    xml = idp.wrap(assertion, destination=saml.acs_url(org))
    assert_refused(post_acs(client, org, xml), org, "invalid_response", because="is not signed")


def test_assertion_signed_with_the_wrong_key_is_refused(client, saml_org, member, evil_idp):
    xml = good_response(evil_idp, saml_org, member.user.email)
    assert_refused(
        post_acs(client, saml_org, xml),
        saml_org,
        "invalid_response",
        because="Signature validation failed",
    )


def test_expired_assertion_is_refused(client, saml_org, member, idp):
    xml = good_response(idp, saml_org, member.user.email, shift=-dt.timedelta(minutes=20))
    assert_refused(post_acs(client, saml_org, xml), saml_org, "invalid_response", because="expired")


def test_not_yet_valid_assertion_is_refused(client, saml_org, member, idp):
    xml = good_response(idp, saml_org, member.user.email, shift=dt.timedelta(minutes=20))
    assert_refused(
        post_acs(client, saml_org, xml), saml_org, "invalid_response", because="not yet valid"
    )


def test_wrong_audience_is_refused(client, saml_org, member, idp):
    org = saml_org
    xml = idp.response_xml(
        email=member.user.email,
        acs_url=saml.acs_url(org),
        audience="https://other-sp.example.net/saml/metadata",
    )
    assert_refused(
        post_acs(client, org, xml), org, "invalid_response", because="not a valid audience"
    )


def test_wrong_destination_is_refused(client, saml_org, member, idp):
    org = saml_org
    assertion = idp.sign(
        idp.assertion(
            email=member.user.email, audience=saml.sp_entity_id(org), recipient=saml.acs_url(org)
        )
    )
    xml = idp.wrap(assertion, destination="https://other-sp.example.net/sso/saml/acme/acs/")
    assert_refused(
        post_acs(client, org, xml),
        org,
        "invalid_response",
        because="instead of https://other-sp.example.net",
    )


def test_wrong_recipient_is_refused(client, saml_org, member, idp):
    org = saml_org
    assertion = idp.sign(
        idp.assertion(
            email=member.user.email,
            audience=saml.sp_entity_id(org),
            recipient="https://other-sp.example.net/acs",
        )
    )
    xml = idp.wrap(assertion, destination=saml.acs_url(org))
    assert_refused(
        post_acs(client, org, xml),
        org,
        "invalid_response",
        because="valid SubjectConfirmation was not found",
    )


def test_wrong_issuer_is_refused(client, saml_org, member, idp):
    xml = good_response(idp, saml_org, member.user.email, issuer="http://www.okta.com/exkOTHER")
    assert_refused(
        post_acs(client, saml_org, xml), saml_org, "invalid_response", because="Invalid issuer"
    )


def test_another_orgs_assertion_is_refused(client, saml_org, other_org, idp):
    """Same IdP, same key, same person in both orgs: an assertion addressed to Globex must not
    open Acme."""
    connect(other_org, idp)
    user = UserFactory(email="both@okta.local", setup_completed_at=dt.datetime.now(dt.UTC))
    MembershipFactory(organization=saml_org, user=user)
    MembershipFactory(organization=other_org, user=user)
    xml = good_response(idp, other_org, user.email)

    response = post_acs(client, saml_org, xml)

    assert_refused(
        response,
        saml_org,
        "wrong_organization",
        because="instead of https://sp.example.com/sso/saml/globex/acs/",
    )
    assert b"meant for another organization" in response.content


def test_another_orgs_assertion_rewrapped_for_this_org_is_refused(
    client, saml_org, other_org, idp
):
    """The signed assertion is Globex's; the (unsigned) Response around it is made to name
    Acme's ACS. The audience and recipient inside the signature still say Globex."""
    connect(other_org, idp)
    user = UserFactory(email="both@okta.local", setup_completed_at=dt.datetime.now(dt.UTC))
    MembershipFactory(organization=saml_org, user=user)
    assertion = idp.sign(idp.assertion(
        email=user.email, audience=saml.sp_entity_id(other_org),
        recipient=saml.acs_url(other_org),
    ))
    xml = idp.wrap(assertion, destination=saml.acs_url(saml_org))

    response = post_acs(client, saml_org, xml)

    assert_refused(response, saml_org, "wrong_organization", because="not a valid audience")


def test_relay_state_of_another_org_is_refused(client, saml_org, other_org, member, idp):
    connect(other_org, idp)
    start = client.get(reverse("sso:login", args=[other_org.slug]), HTTP_HOST=HOST, secure=True)
    request_id, relay_state, _ = authn_request_from_redirect(start["Location"])
    xml = good_response(idp, saml_org, member.user.email, in_response_to=request_id)

    response = post_acs(client, saml_org, xml, relay_state=relay_state)

    assert_refused(response, saml_org, "wrong_organization")


def test_replayed_assertion_is_refused(client, saml_org, member, idp):
    xml = good_response(idp, saml_org, member.user.email)
    assert post_acs(client, saml_org, xml).status_code == 302
    client.logout()

    assert_refused(post_acs(client, saml_org, xml), saml_org, "replay")


@pytest.mark.parametrize(
    ("sign_algorithm", "digest_algorithm", "because"),
    [
        (RSA_SHA1, SHA1, "Deprecated signature algorithm"),
        (RSA_SHA1, SHA256, "Deprecated signature algorithm"),
        (RSA_SHA256, SHA1, "Deprecated digest algorithm"),
    ],
    ids=["rsa-sha1+sha1", "rsa-sha1+sha256", "rsa-sha256+sha1"],
)
def test_sha1_signature_or_digest_is_refused(
    client, saml_org, member, idp, sign_algorithm, digest_algorithm, because
):
    """SHA-1 anywhere in the signature (its method or the reference digest) is refused, even
    though the signature itself verifies."""
    org = saml_org
    assertion = idp.sign(
        idp.assertion(
            email=member.user.email,
            audience=saml.sp_entity_id(org),
            recipient=saml.acs_url(org),
        ),
        sign_algorithm=sign_algorithm,
        digest_algorithm=digest_algorithm,
    )
    xml = idp.wrap(assertion, destination=saml.acs_url(org))
    response = post_acs(client, org, xml)
    assert_refused(response, org, "invalid_response", because=because)


def test_python3_saml_runs_in_strict_mode(saml_org):
    """The settings every ACS request is validated with (the refusal tests prove each works)."""
    settings = saml.saml_settings(saml_org.saml_connection)
    security = settings["security"]
    assert settings["strict"] is True
    assert security["wantAssertionsSigned"] is True
    assert security["rejectDeprecatedAlgorithm"] is True
    assert security["wantNameId"] is True
    assert security["signatureAlgorithm"] == RSA_SHA256


def test_signature_wrapping_with_an_injected_assertion_first_is_refused(
    client, saml_org, member, idp
):
    """XSW: an unsigned evil assertion placed before the genuinely signed one."""
    org = saml_org
    signed = idp.sign(
        idp.assertion(
            email="someone.else@okta.local",
            audience=saml.sp_entity_id(org),
            recipient=saml.acs_url(org),
        )
    )
    evil = idp.assertion(
        email=member.user.email, audience=saml.sp_entity_id(org), recipient=saml.acs_url(org)
    )
    xml = idp.wrap(evil + signed, destination=saml.acs_url(org))
    assert_refused(
        post_acs(client, org, xml), org, "invalid_response", because="must contain 1 assertion"
    )
    assert "_auth_user_id" not in client.session


def test_signature_wrapping_with_the_signed_assertion_moved_to_extensions_is_refused(
    client, saml_org, member, idp
):
    """XSW: the signed assertion hidden in samlp:Extensions, an evil copy with the same ID
    (and the copied Signature) where the assertion belongs."""
    org = saml_org
    signed_xml = idp.sign(
        idp.assertion(
            email="someone.else@okta.local",
            audience=saml.sp_entity_id(org),
            recipient=saml.acs_url(org),
        )
    )
    signed = element(signed_xml)
    evil = element(signed_xml)
    name_id = evil.find(f".//{{{NS_SAML}}}NameID")
    name_id.text = member.user.email
    xml = idp.wrap(tostring(evil), destination=saml.acs_url(org), extensions=tostring(signed))
    assert_refused(
        post_acs(client, org, xml), org, "invalid_response", because="must contain 1 assertion"
    )


def test_deactivated_member_is_refused(client, saml_org, member, sign_in):
    member.is_active = False
    member.save()

    response = sign_in(saml_org, member.user.email)

    assert_refused(response, saml_org, "deactivated")
    assert b"access to this organization has been removed" in response.content


def test_unknown_email_is_refused_without_jit(client, saml_org, sign_in):
    response = sign_in(saml_org, "stranger@okta.local")

    assert_refused(response, saml_org, "unknown_user")
    assert not saml_org.memberships.filter(user__email="stranger@okta.local").exists()


def test_in_response_to_without_a_pending_request_is_refused(client, saml_org, member, idp):
    """No RelayState: an unsolicited response, which must not answer any request."""
    xml = good_response(idp, saml_org, member.user.email, in_response_to=new_id())
    assert_refused(post_acs(client, saml_org, xml), saml_org, "unsolicited_in_response_to")


def test_in_response_to_with_an_unknown_relay_state_is_refused(client, saml_org, member, idp):
    """A RelayState we hold no request for (expired, used, or never ours)."""
    xml = good_response(idp, saml_org, member.user.email, in_response_to=new_id())
    response = post_acs(client, saml_org, xml, relay_state="not-a-token-of-ours")
    assert_refused(response, saml_org, "request_unknown")


def test_sp_initiated_with_the_wrong_in_response_to_is_refused(client, saml_org, member, idp):
    start = client.get(reverse("sso:login", args=[saml_org.slug]), HTTP_HOST=HOST, secure=True)
    _, relay_state, _ = authn_request_from_redirect(start["Location"])
    xml = good_response(idp, saml_org, member.user.email, in_response_to=new_id())

    response = post_acs(client, saml_org, xml, relay_state=relay_state)

    assert_refused(
        response, saml_org, "invalid_response", because="does not match the ID of the AuthNRequest"
    )


def test_relay_state_is_single_use(client, saml_org, member, idp):
    start = client.get(reverse("sso:login", args=[saml_org.slug]), HTTP_HOST=HOST, secure=True)
    request_id, relay_state, _ = authn_request_from_redirect(start["Location"])
    first = good_response(idp, saml_org, member.user.email, in_response_to=request_id)
    assert post_acs(client, saml_org, first, relay_state=relay_state).status_code == 302
    client.logout()

    again = good_response(idp, saml_org, member.user.email, in_response_to=request_id)
    response = post_acs(client, saml_org, again, relay_state=relay_state)

    assert_refused(response, saml_org, "request_unknown")


def test_inactive_connection_refuses(client, saml_org, member, sign_in):
    SamlConnection.objects.filter(organization=saml_org).update(is_active=False)
    assert_refused(sign_in(saml_org, member.user.email), saml_org, "connection_inactive")


def test_garbage_is_refused(client, saml_org):
    response = client.post(
        reverse("sso:acs", args=[saml_org.slug]),
        {"SAMLResponse": "bm90IHhtbA=="},
        HTTP_HOST=HOST,
        secure=True,
    )
    assert_refused(response, saml_org, "invalid_response", because="Unreadable response")


def test_refusal_audit_holds_no_saml_response(client, saml_org, member, evil_idp):
    xml = good_response(evil_idp, saml_org, member.user.email)
    post_acs(client, saml_org, xml)
    (event,) = refusals(saml_org)
    assert encode(xml)[:40] not in str(event.data)
    assert "Signature" not in str(event.data) or "validation failed" in str(event.data)


def test_metadata_describes_our_sp(client, saml_org):
    response = client.get(
        reverse("sso:metadata", args=[saml_org.slug]), HTTP_HOST=HOST, secure=True
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert f'entityID="{saml.sp_entity_id(saml_org)}"' in body
    assert saml.acs_url(saml_org) in body
    assert "emailAddress" in body


def test_acs_needs_no_csrf_token(saml_org, member, idp):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    xml = good_response(idp, saml_org, member.user.email)
    assert post_acs(csrf_client, saml_org, xml).status_code == 302


@pytest.mark.parametrize(
    ("next_url", "landing"),
    [("/account/?tab=1", "/account/?tab=1"), ("//evil.example.net/", "/account/"),
     ("https://evil.example.net/", "/account/"), ("/\\evil.example.net/", "/account/"),
     ("https:evil.example.net", "/account/"), ("javascript:alert(1)", "/account/"),
     ("\t//evil.example.net/", "/account/"), (f"https://{HOST}/admin/", "/account/")],
)
def test_sp_initiated_login_returns_only_to_local_pages(
    client, saml_org, member, idp, next_url, landing
):
    start = client.get(
        reverse("sso:login", args=[saml_org.slug]), {"next": next_url},
        HTTP_HOST=HOST, secure=True,
    )
    request_id, relay_state, _ = authn_request_from_redirect(start["Location"])
    assert next_url not in relay_state  # the RelayState is an opaque one-time token
    xml = good_response(idp, saml_org, member.user.email, in_response_to=request_id)

    response = post_acs(client, saml_org, xml, relay_state=relay_state)

    assert response.status_code == 302
    assert response["Location"] == landing


def test_login_start_for_an_org_without_active_saml(client, saml_org):
    SamlConnection.objects.filter(organization=saml_org).update(is_active=False)
    response = client.get(
        reverse("sso:login", args=[saml_org.slug]), HTTP_HOST=HOST, secure=True
    )
    assert response.status_code == 404
    assert b"Single sign-on is not active" in response.content


def test_replay_protection_lasts_until_the_assertion_expires(client, saml_org, member, idp):
    """A long-lived assertion stays spent for its whole life (plus the clock drift python3-saml
    allows), in the database table every worker reads."""
    from sso.assertions import CLOCK_DRIFT
    from sso.models import SamlConsumedAssertion

    assertion_id = new_id()
    xml = good_response(
        idp, saml_org, member.user.email, assertion_id=assertion_id,
        lifetime=dt.timedelta(hours=8),
    )
    assert post_acs(client, saml_org, xml).status_code == 302

    spent = SamlConsumedAssertion.objects.get(organization=saml_org, assertion_id=assertion_id)
    not_on_or_after = dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)
    assert spent.expires_at >= not_on_or_after + dt.timedelta(seconds=CLOCK_DRIFT - 30)
    assert spent.expires_at <= not_on_or_after + dt.timedelta(seconds=CLOCK_DRIFT + 30)


def test_deactivated_account_is_refused(client, saml_org, member, sign_in):
    """The person's whole account is disabled (not only this membership)."""
    member.user.is_active = False
    member.user.save()
    assert_refused(sign_in(saml_org, member.user.email), saml_org, "deactivated")


def test_no_access_role_is_refused(client, saml_org, member, sign_in):
    member.role = Role.NO_ACCESS
    member.save()
    response = sign_in(saml_org, member.user.email)
    assert_refused(response, saml_org, "no_access")
    assert b"gives no access" in response.content


def test_just_in_time_provisioning_is_off_by_default():
    from orgs.models import Organization

    assert Organization._meta.get_field("sso_jit_provisioning").default is False


def test_sp_initiated_login_needs_no_cookie_from_the_start(saml_org, member, idp):
    """Okta's cross-site POST carries no SameSite=Lax cookie: the request id is found through
    the RelayState in the database, so a browser with no cookies at all still gets in."""
    from django.test import Client

    starter, returner = Client(), Client()
    start = starter.get(reverse("sso:login", args=[saml_org.slug]), HTTP_HOST=HOST, secure=True)
    assert not start.cookies  # nothing stored client-side
    request_id, relay_state, _ = authn_request_from_redirect(start["Location"])
    xml = good_response(idp, saml_org, member.user.email, in_response_to=request_id)

    response = post_acs(returner, saml_org, xml, relay_state=relay_state)

    assert response.status_code == 302
    assert returner.session["_auth_user_id"] == str(member.user.pk)


def test_a_plan_without_saml_refuses_logins(client, saml_org, member, sign_in):
    from orgs.plans import Plan

    saml_org.plan = Plan.PRO
    saml_org.save()
    assert_refused(sign_in(saml_org, member.user.email), saml_org, "connection_inactive")

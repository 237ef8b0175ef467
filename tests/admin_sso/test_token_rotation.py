"""Token rotation and revocation: a new token shown once, the old one working until the chosen
time or until revoked, both listed with their expiry, and who revoked a token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from orgs.audit import Actor
from orgs.exceptions import InvalidInput, PreconditionFailed
from orgs.models import AuditEvent
from scim.admin_forms import issue_nonce
from scim.models import ScimToken
from scim.services import (
    scim_token_authenticate,
    scim_token_create,
    scim_token_notify_expiring,
    scim_token_revoke,
    scim_token_rotate,
)
from tests.scim.conftest import ScimClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def okta_token(org, org_admin):
    return scim_token_create(organization=org, actor=Actor.system(), description="Okta prod",
                             ttl_days=365, created_by=org_admin.user)


def test_rotation_keeps_the_old_token_working_until_the_chosen_time(org, okta_token, actor):
    before = timezone.now()
    new = scim_token_rotate(token=okta_token.token, actor=actor)
    old = ScimToken.objects.get(pk=okta_token.token.pk)
    assert old.replaced_by == new.token
    assert before + timedelta(hours=24) <= old.expires_at <= timezone.now() + timedelta(hours=24)
    assert (new.token.description, new.token.ttl_days) == ("Okta prod", 365)
    # Both authenticate now.
    assert scim_token_authenticate(okta_token.plaintext).pk == old.pk
    assert scim_token_authenticate(new.plaintext).pk == new.token.pk
    # After the overlap only the new one does.
    ScimToken.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert scim_token_authenticate(okta_token.plaintext) is None
    assert scim_token_authenticate(new.plaintext) is not None
    rotated = AuditEvent.objects.get(action="scim.token.rotated")
    assert rotated.data["new_prefix"] == new.token.prefix
    assert okta_token.plaintext not in str(rotated.data) and new.plaintext not in str(
        list(AuditEvent.objects.values("data"))
    )
    created = AuditEvent.objects.filter(action="scim.token.created").latest("id")
    assert created.data["rotated_from"] == old.prefix


def test_rotation_never_extends_the_old_tokens_life(org, actor):
    soon = scim_token_create(organization=org, actor=actor, description="Okta", ttl_days=1)
    ScimToken.objects.filter(pk=soon.token.pk).update(
        expires_at=timezone.now() + timedelta(hours=2)
    )
    scim_token_rotate(token=soon.token, actor=actor, keep_old_for=timedelta(days=3))
    old = ScimToken.objects.get(pk=soon.token.pk)
    assert old.expires_at <= timezone.now() + timedelta(hours=2)


def test_what_cannot_be_rotated(org, okta_token, actor):
    with pytest.raises(InvalidInput, match="between 1 hour and 30 days"):
        scim_token_rotate(token=okta_token.token, actor=actor, keep_old_for=timedelta(0))
    with pytest.raises(InvalidInput):
        scim_token_rotate(token=okta_token.token, actor=actor, keep_old_for=timedelta(days=31))
    scim_token_rotate(token=okta_token.token, actor=actor)
    with pytest.raises(PreconditionFailed, match="already rotated"):
        scim_token_rotate(token=okta_token.token, actor=actor)
    revoked = scim_token_create(organization=org, actor=actor, description="Old")
    scim_token_revoke(token=revoked.token, actor=actor)
    with pytest.raises(PreconditionFailed, match="is revoked"):
        scim_token_rotate(token=revoked.token, actor=actor)
    assert ScimToken.objects.filter(organization=org).count() == 3


def test_rotate_page_shows_the_new_token_once_and_lists_both(
    admin_client_, url, org, okta_token, org_admin
):
    rotate_url = url("scim_token_rotate", org, okta_token.token.pk)
    page = admin_client_.get(rotate_url)
    assert 'name="keep_old_hours" value="24"' in page.content.decode()
    data = {"keep_old_hours": "48", "nonce": issue_nonce()}
    response = admin_client_.post(rotate_url, data)
    html = response.content.decode()
    new = ScimToken.objects.exclude(pk=okta_token.token.pk).get()
    assert response["Cache-Control"].count("no-store") == 1
    assert response.context["plaintext"].startswith(new.prefix)
    assert f"The old token <code>{okta_token.token.prefix}…</code> keeps working until" in html
    old = ScimToken.objects.get(pk=okta_token.token.pk)
    assert timezone.now() + timedelta(hours=47) < old.expires_at
    assert new.created_by == org_admin.user
    # The same POST again (reload): nothing new, no token shown.
    again = admin_client_.post(rotate_url, data, follow=True)
    assert "already submitted" in again.content.decode()
    assert "plaintext" not in again.context
    assert ScimToken.objects.filter(organization=org).count() == 2
    listing = admin_client_.get(url("scim_tokens", org)).content.decode()
    assert f"replaced by <code>{new.prefix}…</code>" in listing
    assert f"next to <code>{new.prefix}…</code>" in listing
    assert listing.count(">Rotate</a>") == 1  # the new one; the old one was rotated already
    assert listing.count(">Revoke</a>") == 2


def test_bad_rotation_input_is_a_form_error(admin_client_, url, org, okta_token):
    rotate_url = url("scim_token_rotate", org, okta_token.token.pk)
    for hours in ("0", "721", "soon", ""):
        response = admin_client_.post(rotate_url, {"keep_old_hours": hours,
                                                   "nonce": issue_nonce()})
        assert response.status_code == 400
        assert response.context["form"].errors
    assert ScimToken.objects.filter(organization=org).count() == 1


def test_another_orgs_token_cannot_be_rotated(admin_client_, url, org, other_org):
    theirs = scim_token_create(organization=other_org, actor=Actor.system(), description="X")
    response = admin_client_.post(url("scim_token_rotate", org, theirs.token.pk),
                                  {"keep_old_hours": "24", "nonce": issue_nonce()})
    assert response.status_code == 404
    assert ScimToken.objects.filter(organization=other_org).count() == 1


def test_revoked_tokens_show_when_and_by_whom(admin_client_, url, org, okta_token, org_admin):
    admin_client_.post(url("scim_token_revoke", org, okta_token.token.pk))
    token = ScimToken.objects.get(pk=okta_token.token.pk)
    assert token.revoked_by == org_admin.user
    html = admin_client_.get(url("scim_tokens", org)).content.decode()
    when = timezone.localtime(token.revoked_at).strftime("%Y-%m-%d %H:%M UTC")
    assert f"{when} by {org_admin.user.email}" in html


def test_the_old_token_keeps_working_over_http_until_revoked(org, okta_token, actor):
    new = scim_token_rotate(token=okta_token.token, actor=actor)
    old_client = ScimClient(Client(), okta_token.plaintext)
    assert old_client.get("/Users").status_code == 200
    assert ScimClient(Client(), new.plaintext).get("/Users").status_code == 200
    scim_token_revoke(token=okta_token.token, actor=actor)
    assert old_client.get("/Users").status_code == 401
    assert ScimClient(Client(), new.plaintext).get("/Users").status_code == 200


def test_a_rotated_token_ending_is_no_expiry_news(org, okta_token, actor):
    scim_token_rotate(token=okta_token.token, actor=actor)
    notices = scim_token_notify_expiring(within_days=14, actor=actor)
    assert notices == [] and mail.outbox == []

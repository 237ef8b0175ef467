"""Manage SCIM Tokens: the table, the Create form's validation, the token shown exactly once
(never again on reload or back, never in a URL or the audit log), and Revoke."""

from __future__ import annotations

import json
from datetime import timedelta
from unittest import mock

import pytest
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.form_nonces import MAX_AGE as NONCE_MAX_AGE
from orgs.models import AuditEvent
from scim.admin_forms import TOKEN_FORM_NONCES, issue_nonce
from scim.models import ScimToken
from scim.services import scim_token_authenticate
from tests.factories import ScimTokenFactory

pytestmark = pytest.mark.django_db


def _form_data(**overrides) -> dict[str, str]:
    return {"description": "Okta", "ttl_days": "365", "nonce": issue_nonce(), **overrides}


def _create(client, url, org, **overrides):
    return client.post(url("scim_token_create", org), _form_data(**overrides))


def _audit_text() -> str:
    return json.dumps(list(AuditEvent.objects.values()), default=str)


def test_tokens_page_lists_every_token_with_its_status(admin_client_, url, org, org_admin):
    now = timezone.now()
    ScimTokenFactory(organization=org, description="Okta prod", prefix="rst_scim_aaaaaa",
                     created_by=org_admin.user, expires_at=now + timedelta(days=30),
                     last_used_at=now)
    ScimTokenFactory(organization=org, description="Old", prefix="rst_scim_bbbbbb",
                     expires_at=now - timedelta(days=1))
    ScimTokenFactory(organization=org, description="Leaked", prefix="rst_scim_cccccc",
                     revoked_at=now)
    ScimTokenFactory(description="Other org", prefix="rst_scim_dddddd")
    response = admin_client_.get(url("scim_tokens", org))
    html = response.content.decode()
    assert [t.description for t in response.context["tokens"]] == ["Leaked", "Old", "Okta prod"]
    for text in ["Okta prod", "rst_scim_aaaaaa…", org_admin.user.email,
                 '<span class="sso-status active">active</span>',
                 '<span class="sso-status expired">expired</span>',
                 '<span class="sso-status revoked">revoked</span>']:
        assert text in html
    assert "Other org" not in html
    assert html.count(">Revoke</a>") == 2  # not for the revoked one
    assert 'name="ttl_days" value="365"' in html


def test_create_shows_the_token_once_with_the_scim_url(
    admin_client_, url, org, org_admin, settings
):
    settings.BASE_URL = "https://roster.example.com"
    response = _create(admin_client_, url, org, ttl_days="30")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = ScimToken.objects.get()
    plaintext = response.context["plaintext"]
    assert scim_token_authenticate(plaintext) == token
    html = response.content.decode()
    assert f'<code id="new-scim-token" translate="no">{plaintext}</code>' in html
    assert '<code id="scim-url">https://roster.example.com/scim/v2</code>' in html
    assert "it is shown only once" in html
    assert html.count('data-copy="') == 2
    assert (token.description, token.ttl_days, token.created_by) == ("Okta", 30, org_admin.user)
    assert token.expires_at is not None

    event = AuditEvent.objects.get()
    assert (event.action, event.actor_id) == ("scim.token.created", str(org_admin.user.pk))
    assert event.data == {"prefix": token.prefix, "description": "Okta", "ttl_days": 30}
    assert plaintext not in _audit_text()
    assert plaintext[len(token.prefix):] not in _audit_text()


def test_reload_creates_nothing_and_never_shows_the_token_again(admin_client_, url, org):
    data = _form_data()
    first = admin_client_.post(url("scim_token_create", org), data)
    plaintext = first.context["plaintext"]

    # A reload (or Back + resubmit) sends the very same POST.
    again = admin_client_.post(url("scim_token_create", org), data, follow=True)
    html = again.content.decode()
    assert again.redirect_chain == [(url("scim_tokens", org), 302)]
    assert plaintext not in html
    assert "new-scim-token" not in html
    assert "already submitted" in html
    assert ScimToken.objects.count() == 1
    assert AuditEvent.objects.count() == 1

    for page in ("scim_tokens", "sso_provisioning"):
        assert plaintext not in admin_client_.get(url(page, org)).content.decode()
    assert plaintext not in str(admin_client_.session.items())


def test_zero_ttl_never_expires(admin_client_, url, org):
    response = _create(admin_client_, url, org, ttl_days="0")
    assert response.status_code == 200
    token = ScimToken.objects.get()
    assert (token.ttl_days, token.expires_at) == (0, None)
    assert "Never" in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("ttl_days", "-1", "greater than or equal to 0"),
        ("ttl_days", "3651", "less than or equal to 3650"),
        ("ttl_days", "a year", "Enter a whole number."),
        ("ttl_days", "1.5", "Enter a whole number."),
        ("ttl_days", "1e3", "Enter a whole number."),
        ("ttl_days", "9" * 30, "less than or equal to 3650"),
        ("ttl_days", "-0.5", "Enter a whole number."),
        ("ttl_days", "", "This field is required."),
        ("description", "x" * 101, "at most 100 characters"),
        ("description", "", "This field is required."),
        ("description", "   ", "This field is required."),
        ("description", "Okta\u202eatkO", "bidirectional control character (U+202E)"),
        ("description", "Okta\x07", "control character (U+0007)"),
        ("nonce", "", "This field is required."),
        ("nonce", "forged:value", "This form has expired"),
    ],
)
def test_bad_input_is_a_form_error(admin_client_, url, org, field, value, error):
    response = _create(admin_client_, url, org, **{field: value})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert response.context["form"].errors
    assert "plaintext" not in response.context
    assert not ScimToken.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_stale_form_must_be_reloaded(admin_client_, url, org):
    issued_at = timezone.now().timestamp() - NONCE_MAX_AGE - 5
    with mock.patch("django.core.signing.time.time", return_value=issued_at):
        stale = signing.TimestampSigner(salt=TOKEN_FORM_NONCES.salt).sign("abc")
    response = _create(admin_client_, url, org, nonce=stale)
    assert "This form has expired" in response.content.decode()
    assert not ScimToken.objects.exists()


def test_get_on_create_goes_to_the_form(admin_client_, url, org):
    response = admin_client_.get(url("scim_token_create", org))
    assert response.status_code == 302
    assert response["Location"] == url("scim_tokens", org) + "#create"
    assert not ScimToken.objects.exists()


def test_revoke_asks_then_revokes(admin_client_, url, org, org_admin):
    token = ScimTokenFactory(organization=org, description="Okta")
    confirm = admin_client_.get(url("scim_token_revoke", org, token.pk))
    assert "Yes, revoke this token" in confirm.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None

    response = admin_client_.post(url("scim_token_revoke", org, token.pk), follow=True)
    token.refresh_from_db()
    assert token.status == "revoked"
    assert f"Revoked token {token.prefix}" in response.content.decode()
    event = AuditEvent.objects.get()
    assert (event.action, event.target_id, event.actor_id) == (
        "scim.token.revoked", str(token.pk), str(org_admin.user.pk)
    )
    # Revoking twice changes nothing more.
    admin_client_.post(url("scim_token_revoke", org, token.pk))
    assert AuditEvent.objects.count() == 1


def test_created_token_works_until_revoked(admin_client_, url, org):
    plaintext = _create(admin_client_, url, org).context["plaintext"]
    token = ScimToken.objects.get()
    assert scim_token_authenticate(plaintext) == token
    admin_client_.post(url("scim_token_revoke", org, token.pk))
    assert scim_token_authenticate(plaintext) is None


def test_plaintext_reaches_neither_the_database_nor_a_log(admin_client_, url, org, caplog):
    """Every SQL statement of the create request (token row, audit event, session, cache) and
    every log record: the plaintext is in none of them, only in the response body."""
    caplog.set_level("DEBUG")
    with CaptureQueriesContext(connection) as queries:
        response = _create(admin_client_, url, org)
    plaintext = response.context["plaintext"]
    assert plaintext in response.content.decode()
    secret = plaintext[len(ScimToken.objects.get().prefix):]
    assert queries.captured_queries
    assert not [q["sql"] for q in queries.captured_queries if secret in q["sql"]]
    assert secret not in caplog.text
    assert response.status_code == 200 and not response.has_header("Location")

"""``manage.py scim_token notify-expiring`` and ``scim_token_notify_expiring`` behind it."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from orgs.audit import Actor
from orgs.exceptions import InvalidInput
from orgs.models import AuditEvent, MembershipStatus, Role
from scim.models import ScimToken
from scim.services import scim_token_create, scim_token_notify_expiring, token_notices
from tests.factories import AdminMembershipFactory, MembershipFactory, ScimTokenFactory

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("scim_token", "notify-expiring", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def in_days(days: float):
    return timezone.now() + timedelta(days=days)


def admin(org, email, **kwargs):
    return AdminMembershipFactory(organization=org, user__email=email, **kwargs)


@pytest.fixture
def scene(org, other_org):
    """Acme: two admins who should hear, four people who should not, and tokens in every
    state; Globex: one admin and one token expiring soon."""
    admin(org, "zoe@acme.example")
    admin(org, "amy@acme.example")
    admin(org, "invited@acme.example", status=MembershipStatus.INVITED)
    admin(org, "gone@acme.example", is_active=False)
    admin(org, "locked@acme.example", user__is_active=False)
    MembershipFactory(organization=org, role=Role.MEMBER, user__email="member@acme.example")
    admin(other_org, "boss@globex.example")
    now = timezone.now()
    return {
        "soon": ScimTokenFactory(organization=org, description="Okta prod",
                                 prefix="rst_scim_soon01", expires_at=in_days(5)),
        "later": ScimTokenFactory(organization=org, description="Okta staging",
                                  prefix="rst_scim_late01", expires_at=in_days(20)),
        "globex": ScimTokenFactory(organization=other_org, description="",
                                   prefix="rst_scim_glob01", expires_at=in_days(3)),
        "expired": ScimTokenFactory(organization=org, expires_at=in_days(-1)),
        "revoked": ScimTokenFactory(organization=org, expires_at=in_days(2), revoked_at=now),
        "never": ScimTokenFactory(organization=org, expires_at=None, ttl_days=0),
        "told": ScimTokenFactory(organization=org, expires_at=in_days(4),
                                 expiry_notified_at=now - timedelta(days=1)),
    }


def test_emails_the_active_admins_once_per_token_and_records_it(scene, org, other_org, settings):
    settings.BASE_URL = "https://roster.example.com"
    out, err = run()
    soon, globex = scene["soon"], scene["globex"]
    assert out.splitlines() == [
        f"Notified 1 admin(s) about token {globex.pk} (rst_scim_glob01…) of globex, "
        f"expires {globex.expires_at:%Y-%m-%d %H:%M} UTC.",
        f"Notified 2 admin(s) about token {soon.pk} (rst_scim_soon01…) of acme, "
        f"expires {soon.expires_at:%Y-%m-%d %H:%M} UTC.",
        "2 token(s) expiring within 14 days notified, 0 without an admin to notify, 0 failed.",
    ]
    assert err == ""

    assert [m.to for m in mail.outbox] == [
        ["boss@globex.example"], ["amy@acme.example", "zoe@acme.example"],
    ]
    message = mail.outbox[1]
    when = f"{soon.expires_at:%Y-%m-%d %H:%M} UTC"
    assert message.subject == f"Roster: the SCIM token rst_scim_soon01… of Acme expires on {when}"
    assert f'The SCIM token "Okta prod" (rst_scim_soon01…) of Acme on Roster expires on {when}' in (
        message.body
    )
    url = f"https://roster.example.com/admin/orgs/organization/{org.pk}/sso/provisioning/"
    assert f"\n\n{url}\n" in message.body
    assert soon.token_hash not in message.body
    assert '"no description" (rst_scim_glob01…) of Globex' in mail.outbox[0].body
    assert f"/admin/orgs/organization/{other_org.pk}/sso/provisioning/" in mail.outbox[0].body

    notified = set(ScimToken.objects.filter(expiry_notified_at__isnull=False)
                   .values_list("prefix", flat=True))
    assert notified == {"rst_scim_soon01", "rst_scim_glob01", scene["told"].prefix}
    event = AuditEvent.objects.get(action="scim.token.expiry_notified", target_id=str(soon.pk))
    assert (event.organization, event.actor_kind, event.actor_label) == (
        org, "operator", "manage.py"
    )
    assert (event.target_kind, event.target_label) == ("scimtoken", "rst_scim_soon01… (Okta prod)")
    assert event.data == {
        "prefix": "rst_scim_soon01", "description": "Okta prod",
        "expires_at": soon.expires_at.isoformat(), "within_days": 14,
        "recipients": ["amy@acme.example", "zoe@acme.example"],
    }
    assert AuditEvent.objects.filter(action="scim.token.expiry_notified").count() == 2


def test_a_second_run_sends_nothing(scene):
    run()
    sent, events = len(mail.outbox), AuditEvent.objects.count()
    out, _ = run()
    assert out == (
        "0 token(s) expiring within 14 days notified, 0 without an admin to notify, 0 failed.\n"
    )
    assert (len(mail.outbox), AuditEvent.objects.count()) == (sent, events)


def test_days_widens_the_window(scene):
    run()
    mail.outbox.clear()
    out, _ = run("--days", "30")
    assert out.splitlines()[0].startswith(f"Notified 2 admin(s) about token {scene['later'].pk} ")
    assert len(mail.outbox) == 1 and "Okta staging" in mail.outbox[0].body


def test_an_org_without_an_active_admin_is_reported_and_told_once_it_has_one(org):
    MembershipFactory(organization=org, role=Role.MEMBER)
    token = ScimTokenFactory(organization=org, prefix="rst_scim_lone01", expires_at=in_days(1))
    out, err = run()
    assert err == (
        f"Not notified: token {token.pk} (rst_scim_lone01…) of acme, expires "
        f"{token.expires_at:%Y-%m-%d %H:%M} UTC: the organization has no active admin.\n"
    )
    assert out.endswith("0 token(s) expiring within 14 days notified, 1 without an admin "
                        "to notify, 0 failed.\n")
    token.refresh_from_db()
    assert token.expiry_notified_at is None and not mail.outbox
    assert not AuditEvent.objects.exists()
    admin(org, "new@acme.example")
    out, err = run()
    assert out.startswith("Notified 1 admin(s)") and err == ""
    assert mail.outbox[0].to == ["new@acme.example"]


def test_a_failed_email_writes_nothing_for_that_token_and_the_next_run_retries(
    scene, monkeypatch
):
    real_send = token_notices.send_mail

    def flaky(*, subject, **kwargs):
        if "Acme" in subject:
            raise ConnectionRefusedError("SMTP down")
        return real_send(subject=subject, **kwargs)

    monkeypatch.setattr(token_notices, "send_mail", flaky)
    with pytest.raises(CommandError, match=re.escape(
        "1 expiry notice(s) could not be sent; the next run retries them."
    )):
        run()
    soon = ScimToken.objects.get(pk=scene["soon"].pk)
    assert soon.expiry_notified_at is None
    assert not AuditEvent.objects.filter(target_id=str(soon.pk)).exists()
    assert [m.to for m in mail.outbox] == [["boss@globex.example"]]  # the other one went out
    assert ScimToken.objects.get(pk=scene["globex"].pk).expiry_notified_at is not None

    monkeypatch.setattr(token_notices, "send_mail", real_send)
    out, err = run()
    assert out.startswith(f"Notified 2 admin(s) about token {soon.pk} ") and err == ""
    assert len(mail.outbox) == 2


@pytest.mark.parametrize("days", ["0", "-1", "3651"])
def test_bad_days(scene, days):
    with pytest.raises(CommandError, match=re.escape(
        "The number of days must be between 1 and 3650."
    )):
        run("--days", days)
    assert not mail.outbox
    assert not AuditEvent.objects.exists()
    assert ScimToken.objects.filter(expiry_notified_at__isnull=False).count() == 1


def test_days_must_be_a_number(scene):
    with pytest.raises(CommandError, match="invalid int value"):
        run("--days", "two weeks")
    assert not mail.outbox


def test_service_returns_what_it_did_and_never_the_plaintext(org):
    created = scim_token_create(organization=org, actor=Actor.operator(), ttl_days=7)
    admin(org, "amy@acme.example")
    MembershipFactory(organization=org, role=Role.ADMIN, status=MembershipStatus.INVITED)
    notices = scim_token_notify_expiring(within_days=7, actor=Actor.operator("cron"))
    assert [(n.token.pk, n.outcome, n.recipients) for n in notices] == [
        (created.token.pk, "notified", ("amy@acme.example",))
    ]
    assert created.plaintext not in mail.outbox[0].subject + mail.outbox[0].body
    event = AuditEvent.objects.get(action="scim.token.expiry_notified")
    assert created.plaintext not in str(event.data) and event.actor_label == "cron"
    assert scim_token_notify_expiring(within_days=7, actor=Actor.operator()) == []
    with pytest.raises(InvalidInput):
        scim_token_notify_expiring(within_days=True, actor=Actor.operator())


def test_a_token_claimed_by_a_concurrent_run_is_not_sent_twice(org):
    admin(org, "amy@acme.example")
    token = ScimTokenFactory(organization=org, expires_at=in_days(2))
    kwargs = {"recipients": ("amy@acme.example",), "within_days": 14, "actor": Actor.operator()}
    assert token_notices._notify_one(token=token, **kwargs) is True
    stale = ScimToken.objects.get(pk=token.pk)
    stale.expiry_notified_at = None  # what the other run read before this one marked it
    assert token_notices._notify_one(token=stale, **kwargs) is False
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="scim.token.expiry_notified").count() == 1


def test_queries_are_two_plus_a_few_per_token_notified(org, other_org,
                                                   django_assert_max_num_queries):
    admin(org, "amy@acme.example")
    admin(other_org, "boss@globex.example")
    ScimTokenFactory.create_batch(5, organization=org, expires_at=in_days(3))
    ScimTokenFactory.create_batch(5, organization=other_org, expires_at=in_days(3))
    # tokens, admins, then per token: savepoint, claim, audit insert, release
    with django_assert_max_num_queries(2 + 10 * 4):
        notices = scim_token_notify_expiring(within_days=14, actor=Actor.operator())
    assert len(notices) == 10 and len(mail.outbox) == 10

"""An org admin's admin never shows another organization's names, ids or data (issue 9).

Two organizations, Acme and Globex, share an account. Acme's admin walks the whole admin (every
link, filter, sort and page link, every add/change/history/delete page reachable, every
autocomplete endpoint) and asks for Globex's objects by URL; no page may contain anything
Globex holds, nor a 500. Every Globex-owned string carries the marker ``GLX7QZ``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django.utils import dateformat

from orgs import services
from orgs.audit import Actor
from orgs.models import AuditEvent, Group, GroupRoleMapping, Membership, Organization, Role, User
from scim import services as scim_services
from scim.models import ScimToken
from sso import saml
from sso.admin_saml import ACTIONS as SAML_ACTIONS
from tests.factories import (
    DEFAULT_PASSWORD,
    AdminMembershipFactory,
    AuditEventFactory,
    MembershipFactory,
    OrganizationFactory,
    SamlConnectionFactory,
    UserFactory,
)
from tests.orgs.walker import Walk, walk
from tests.sso.conftest import BASE_URL, HOST, connect, post_acs
from tests.sso.idp import TestIdP

pytestmark = pytest.mark.django_db

PAGE_BUDGET = 400
# Six characters: a page's random CSRF token (64 letters and digits) can contain a
# four-character marker by chance, a false leak (seen once, in a 404 page).
MARKER = "GLX7QZ"
PUBLIC_KEY = (
    f"-----BEGIN PUBLIC KEY-----\nMFkwPUBKEYOFTHESHAREDACCOUNT{MARKER}\n-----END PUBLIC KEY-----"
)
LAST_LOGIN = dt.datetime(2011, 2, 3, 4, 5, tzinfo=dt.UTC)
DATE_JOINED = dt.datetime(2012, 3, 4, 5, 6, tzinfo=dt.UTC)
SETUP_AT = dt.datetime(2013, 4, 5, 6, 7, tzinfo=dt.UTC)
SHARED_AT_ACME = "sam@acme.example"  # what Acme knows the shared account's person by
# What only the account page shows: staff flags and account dates.
ACCOUNT_LABELS = ["Is staff", "Superuser status", "Last login", "Date joined", "Public key"]


@dataclass
class World:
    acme: Organization
    globex: Organization
    acme_admin: Membership
    dual_admin: Membership  # administers Acme and Globex
    shared: User  # an Acme member who is also a Globex admin
    acme_idp: TestIdP
    globex_objects: dict[type, list[Any]] = field(default_factory=dict)
    globex_token: ScimToken | None = None
    globex_mapping: GroupRoleMapping | None = None
    needles: list[str] = field(default_factory=list)


def _dates(*moments: dt.datetime) -> list[str]:
    return [s for m in moments for s in (dateformat.format(m, "N j, Y"), m.date().isoformat())]


@pytest.fixture
def world(settings) -> World:
    settings.BASE_URL = BASE_URL
    settings.ALLOWED_HOSTS = [HOST, "testserver"]
    op = Actor.operator("pytest")

    acme = OrganizationFactory(name="Acme Rockets", slug="acme-rockets", scim_enabled=True)
    acme_idp = TestIdP()
    connect(acme, acme_idp)
    globex = OrganizationFactory(name=f"Globex {MARKER} Corp", slug=f"globex-{MARKER.lower()}",
                                 scim_enabled=True)
    SamlConnectionFactory(
        organization=globex, idp_entity_id=f"http://www.okta.com/exk{MARKER}entity",
        idp_sso_url=f"https://idp-{MARKER.lower()}.example/app/sso/saml",
    )

    acme_admin = AdminMembershipFactory(organization=acme, user__email="boss@acme.example")
    acme_member = MembershipFactory(organization=acme, user__email="worker@acme.example")
    # The account's own data (login email, names, dates, key, staff flag) is the account's,
    # not Acme's; each membership holds what its organization knows the person by.
    shared = UserFactory(
        email=f"sam.login.{MARKER}@both.example", first_name=f"Account{MARKER}",
        last_name=f"Account{MARKER}", is_staff=True, last_login=LAST_LOGIN,
        date_joined=DATE_JOINED, setup_completed_at=SETUP_AT, public_key=PUBLIC_KEY,
    )
    shared_acme = MembershipFactory(
        organization=acme, user=shared, source="scim", email=SHARED_AT_ACME, given_name="Sam",
        family_name="Rocket", scim_user_name=SHARED_AT_ACME, external_id="00uACME1",
    )
    shared_globex = MembershipFactory(
        organization=globex, user=shared, role=Role.ADMIN, source="scim",
        email=f"sam@{MARKER}.example", given_name=f"Given{MARKER}",
        family_name=f"Family{MARKER}", scim_user_name=f"shared.{MARKER}@idp.example",
        external_id=f"00u{MARKER}ext42",
    )
    scim_services.scim_profile_update(membership=shared_globex, actor=op,
                                      display_name=f"Shared as Globex {MARKER} knows them")
    globex_boss = AdminMembershipFactory(organization=globex,
                                         user__email=f"boss@{MARKER.lower()}-admin.example")
    globex_only = MembershipFactory(organization=globex,
                                    user__email=f"only@{MARKER.lower()}-member.example")
    globex_invited = MembershipFactory(  # provisioned by Globex's IdP, no account yet
        organization=globex, user=None, email=f"invited@{MARKER}.example", source="scim",
        status="invited", scim_user_name=f"invited@{MARKER}.example",
    )
    dual_user = UserFactory(email="dual@both.example", is_staff=True, password=DEFAULT_PASSWORD,
                            setup_completed_at=SETUP_AT)
    dual_admin = MembershipFactory(organization=acme, user=dual_user, role=Role.ADMIN)
    dual_globex = MembershipFactory(organization=globex, user=dual_user, role=Role.ADMIN)

    acme_group = services.group_create(organization=acme, display_name="Acme Engineers",
                                       actor=op)
    services.group_change_members(group=acme_group, actor=op, add=[acme_member, shared_acme])
    globex_group = services.group_create(organization=globex, display_name=f"Group {MARKER} Zeta",
                                         external_id=f"ext-{MARKER}-group", actor=op)
    services.group_change_members(group=globex_group, actor=op, add=[shared_globex, globex_only])
    services.group_role_mapping_set(organization=acme, idp_group_name="Acme-IdP-Admins",
                                    role=Role.ADMIN, actor=op)
    globex_mapping = services.group_role_mapping_set(
        organization=globex, idp_group_name=f"IdP {MARKER} group", role=Role.ADMIN, actor=op
    )
    scim_services.scim_token_create(organization=acme, actor=op, description="Acme Okta",
                                    created_by=acme_admin.user)
    globex_token = scim_services.scim_token_create(
        organization=globex, actor=op, description=f"Okta {MARKER}",
        created_by=globex_boss.user,
    ).token
    AuditEventFactory(organization=acme, action="acme.thing", target_label="Acme target")
    globex_event = AuditEventFactory(
        organization=globex, action=f"{MARKER.lower()}.secret.thing",
        actor_label=f"actor-{MARKER}", target_label=f"target-{MARKER}",
        data={"about": SHARED_AT_ACME, "note": MARKER},
    )
    for n in range(3):  # enough rows for pagination links at two rows a page
        AuditEventFactory(organization=acme, action=f"acme.more.{n}")

    globex_memberships = [shared_globex, globex_boss, globex_only, globex_invited, dual_globex]
    needles = [
        "Globex", MARKER, str(globex.pk), globex.pk.hex, globex_token.prefix,
        *(str(m.pk) for m in globex_memberships), str(globex_group.pk),
        globex_boss.user.email, globex_only.user.email, PUBLIC_KEY.splitlines()[1],
        *_dates(LAST_LOGIN, DATE_JOINED, SETUP_AT), *ACCOUNT_LABELS,
    ]
    return World(
        acme=acme, globex=globex, acme_admin=acme_admin, dual_admin=dual_admin, shared=shared,
        acme_idp=acme_idp, globex_token=globex_token, globex_mapping=globex_mapping,
        globex_objects={
            Organization: [globex],
            Membership: globex_memberships,
            Group: [globex_group],
            AuditEvent: [globex_event, *AuditEvent.objects.filter(organization=globex)],
            User: [globex_boss.user, globex_only.user, shared],
        },
        needles=needles,
    )


# --- who walks -------------------------------------------------------------------------------


def acme_admin_client(world: World) -> Client:
    """Acme's admin with a password session."""
    client = Client(raise_request_exception=False)
    assert client.login(username="boss@acme.example", password=DEFAULT_PASSWORD)
    return client


def dual_admin_in_acme_sso_client(world: World) -> Client:
    """An admin of both organizations who once worked in Globex's admin (so their own "recent
    actions" name Globex objects), now in a session Acme's IdP signed: it speaks for Acme only.
    """
    password = Client()
    assert password.login(username="dual@both.example", password=DEFAULT_PASSWORD)
    group = world.globex_objects[Group][0]
    response = password.post(
        reverse("admin:orgs_group_change", args=[group.pk]),
        {"display_name": f"Group {MARKER} Zeta renamed", "group_members-TOTAL_FORMS": "0",
         "group_members-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 302
    response = password.post(
        reverse("admin:orgs_membership_add"),
        {"organization": world.globex.pk, "email": f"added-{MARKER}@idp.example",
         "role": "member"},
    )
    assert response.status_code == 302
    world.globex_objects[Membership].append(
        Membership.objects.get(organization=world.globex, user__email__startswith="added-")
    )

    client = Client(raise_request_exception=False)
    xml = world.acme_idp.response_xml(
        email="dual@both.example", acs_url=saml.acs_url(world.acme),
        audience=saml.sp_entity_id(world.acme),
    )
    assert post_acs(client, world.acme, xml).status_code == 302
    assert client.session["sso_scope"] == [str(world.acme.pk)]
    return client


PERSONAS = {"acme_admin": acme_admin_client, "dual_admin_acme_sso": dual_admin_in_acme_sso_client}


# --- what to visit ---------------------------------------------------------------------------


def autocomplete_urls() -> list[str]:
    """The autocomplete endpoint for every relation of every model whose target is in the admin
    (Django serves it for any such field, listed in ``autocomplete_fields`` or not)."""
    urls = []
    base = reverse("admin:autocomplete")
    for model in apps.get_models():
        for f in model._meta.get_fields():
            if f.is_relation and not f.auto_created and f.related_model in admin.site._registry:
                for term in ("", "Globex", "a"):
                    urls.append(f"{base}?app_label={model._meta.app_label}"
                                f"&model_name={model._meta.model_name}&field_name={f.name}"
                                f"&term={term}")
    return urls


def seeds() -> list[str]:
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        opts = model._meta
        urls += [reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
                 reverse(f"admin:{opts.app_label}_{opts.model_name}_add"),
                 reverse("admin:app_list", args=[opts.app_label])]
    return urls + autocomplete_urls()


def admin_url(obj: Any, view: str, *args: Any) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[obj.pk, *args])


def foreign_gets(world: World) -> list[str]:
    """Globex's objects and pages, asked for by URL."""
    urls = []
    for objects in world.globex_objects.values():
        for obj in objects:
            urls += [admin_url(obj, v) for v in ("change", "history", "delete")]
            ct = ContentType.objects.get_for_model(obj)
            urls.append(reverse("admin:view_on_site", args=[ct.pk, obj.pk]))
    urls += [reverse("admin:auth_user_password_change", args=[u.pk])
             for u in world.globex_objects[User]]
    globex, acme = world.globex, world.acme
    for name in ("sso", "sso_saml", "sso_provisioning", "scim_enable", "scim_disable",
                 "scim_tokens", "scim_token_create", "group_role_mapping_add"):
        urls.append(admin_url(globex, name))
    for org in (globex, acme):
        urls.append(admin_url(org, "scim_token_revoke", world.globex_token.pk))
        urls.append(admin_url(org, "group_role_mapping_delete", world.globex_mapping.pk))
    for model in (Membership, Group, AuditEvent):
        changelist = reverse(f"admin:orgs_{model._meta.model_name}_changelist")
        urls += [f"{changelist}?organization__id__exact={globex.pk}",
                 f"{changelist}?organization__id__exact={globex.pk}&organization__isnull=True",
                 f"{changelist}?organization__isnull=True"]
    return urls


def foreign_posts(world: World) -> list[tuple[str, dict[str, Any]]]:
    globex = world.globex
    gx_members = [m.pk for m in world.globex_objects[Membership]]
    posts = [
        (reverse("admin:orgs_membership_add"),
         {"organization": globex.pk, "email": "new@x.example", "role": "admin"}),
        (reverse("admin:orgs_group_add"),
         {"organization": globex.pk, "display_name": "New team"}),
        *[(reverse("admin:orgs_membership_changelist"),
           {"action": action, "_selected_action": gx_members})
          for action in ("deactivate", "reactivate", "remove")],
        (admin_url(globex, "change"), {"name": "Taken over", "default_role": "member"}),
        *[(admin_url(globex, f"saml_{action}"), {}) for action in SAML_ACTIONS],
        *[(admin_url(globex, name), {}) for name in ("scim_enable", "scim_disable")],
        (admin_url(globex, "scim_token_create"), {"description": "x", "ttl_days": "1"}),
        (admin_url(globex, "group_role_mapping_add"), {"idp_group_name": "x", "role": "admin"}),
    ]
    for org in (globex, world.acme):
        posts.append((admin_url(org, "scim_token_revoke", world.globex_token.pk), {}))
        posts.append((admin_url(org, "group_role_mapping_delete", world.globex_mapping.pk), {}))
    for objects in world.globex_objects.values():
        for obj in objects:
            posts += [(admin_url(obj, "delete"), {"post": "yes"}),
                      (admin_url(obj, "change"), {"role": "member", "display_name": "x"})]
    return posts


def globex_state(world: World) -> tuple:
    """Everything a request by Acme's admin must leave as it was."""
    gx = Organization.objects.get(pk=world.globex.pk)
    return (
        (gx.name, gx.slug, gx.scim_enabled, gx.sso_enforced, gx.default_role),
        sorted((str(m.pk), m.role, m.is_active) for m in gx.memberships.all()),
        sorted((str(g.pk), g.display_name) for g in gx.groups.all()),
        sorted((t.pk, t.revoked_at) for t in gx.scim_tokens.all()),
        sorted(gx.group_role_mappings.values_list("idp_group_name", flat=True)),
        gx.saml_connection.is_active,
        gx.audit_events.count(),
    )


def assert_no_leaks(pages: dict[str, tuple[int, str]], needles: list[str]) -> None:
    """No 5xx, and none of ``needles`` (case-insensitively) in any page."""
    found = []
    for url, (status, body) in pages.items():
        if status >= 500:
            found.append(f"{url}: {status}")
        found += [f"{url} ({status}): {n!r}" for n in needles if n.lower() in body.lower()]
    assert not found, f"{len(found)} leaks:\n" + "\n".join(found[:200])


# --- the tests -------------------------------------------------------------------------------


@pytest.fixture
def short_pages(monkeypatch) -> None:
    """Two rows a page, so the walk follows pagination links too."""
    for model_admin in admin.site._registry.values():
        monkeypatch.setattr(model_admin, "list_per_page", 2)


@pytest.mark.parametrize("persona", PERSONAS)
def test_org_admin_walks_the_whole_admin_and_never_sees_another_org(world, persona, short_pages):
    client = PERSONAS[persona](world)

    result: Walk = walk(client, seeds(), budget=PAGE_BUDGET)

    pages = {url: (p.status, p.body) for url, p in result.pages.items()}
    assert_no_leaks(pages, world.needles)
    ok = [url for url, p in result.pages.items() if p.status == 200]
    # The walk did reach the pages where a leak would show.
    for must in ("/admin/orgs/membership/?", "/admin/orgs/group/?", "/admin/orgs/auditevent/?",
                 "/history/", "/delete/", "/sso/provisioning/tokens/", "/sso/saml/",
                 "/admin/autocomplete/?", "p=2"):
        assert any(must in url for url in ok), must
    shared = Membership.objects.get(organization=world.acme, user=world.shared)
    assert pages[admin_url(shared, "change")][0] == 200
    assert SHARED_AT_ACME in pages[admin_url(shared, "change")][1]  # what Acme holds shows


@pytest.mark.parametrize(
    ("persona", "debug"),
    [("acme_admin", False), ("acme_admin", True), ("dual_admin_acme_sso", False)],
)
def test_org_admin_gets_nothing_of_another_org_by_url(world, persona, debug, settings):
    """Every answer is 403/404 (or a form error, or the "?e=1" page for a filter), and no error
    page or message names Globex. With DEBUG on, Django's technical 404 page repeats the URL
    asked for, so there the ids (which the URL itself carries) are not looked for."""
    settings.DEBUG = debug
    client = PERSONAS[persona](world)
    ids = {str(world.globex.pk), world.globex.pk.hex}
    ids |= {str(obj.pk) for objects in world.globex_objects.values() for obj in objects}
    needles = [n for n in world.needles if not (debug and n in ids)]
    before = globex_state(world)
    pages = {}
    for url in foreign_gets(world):
        response = client.get(url)
        pages[f"GET {url}"] = (response.status_code, response.content.decode())
        if "/orgs/" in url and "?" not in url:
            assert response.status_code in (403, 404), url
    for url, data in foreign_posts(world):
        response = client.post(url, data, follow=True)
        pages[f"POST {url}"] = (response.status_code, response.content.decode())

    assert_no_leaks(pages, needles)
    assert globex_state(world) == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_searching_for_another_orgs_data_finds_nothing(world, persona):
    client = PERSONAS[persona](world)
    terms = ["Globex", MARKER, world.globex_token.prefix, str(world.globex.pk),
             world.globex_objects[User][0].email]
    for model in admin.site._registry:
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        for term in terms:
            response = client.get(changelist, {"q": term})
            if response.status_code == 200:
                assert response.context["cl"].result_count == 0, (changelist, term)
            else:
                assert response.status_code == 403, (changelist, term)


def test_superuser_walk_does_see_both_orgs(world):
    """The control: the same walk as an operator finds Globex everywhere it should."""
    root = UserFactory(email="root@roster.example", is_staff=True, is_superuser=True,
                       password=DEFAULT_PASSWORD)
    client = Client(raise_request_exception=False)
    client.force_login(root)

    result = walk(client, seeds(), budget=60)

    assert not [url for url, p in result.pages.items() if p.status >= 500]
    body = "".join(p.body for p in result.pages.values())
    for needle in ("Globex", f"Group {MARKER} Zeta", world.globex_objects[User][1].email):
        assert needle in body, needle
    gx = Client(raise_request_exception=False)
    gx.force_login(root)
    tokens_page = gx.get(admin_url(world.globex, "scim_tokens")).content.decode()
    assert world.globex_token.prefix in tokens_page
    shared_page = gx.get(admin_url(world.shared, "change")).content.decode()
    for label in ("Superuser status", "Is staff", "Last login", "MFkwPUBKEY"):
        assert label in shared_page, label

"""factory-boy factories for the whole suite. They build rows directly: tests of a service call
the service; factories only set the scene."""

from __future__ import annotations

import factory
from django.utils import timezone

from orgs.models import (
    AuditEvent,
    Group,
    GroupMember,
    GroupRoleMapping,
    Membership,
    MembershipStatus,
    Organization,
    Role,
    User,
)
from orgs.plans import Plan
from scim.models import ScimToken
from sso.models import SamlConnection

DEFAULT_PASSWORD = "correct-horse-battery-staple-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):  # noqa: N805
        if extracted is None:
            obj.set_unusable_password()
        else:
            obj.set_password(extracted)
        if create:
            obj.save(update_fields=["password"])


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Org {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    plan = Plan.ENTERPRISE


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    # What the organization knows the member by: the account's, as for a member added by hand.
    email = factory.LazyAttribute(lambda m: m.user.email if m.user else "invited@example.com")
    given_name = factory.LazyAttribute(lambda m: m.user.first_name if m.user else "")
    family_name = factory.LazyAttribute(lambda m: m.user.last_name if m.user else "")
    linked_at = factory.LazyAttribute(lambda m: timezone.now() if m.user else None)
    role = Role.MEMBER
    status = MembershipStatus.ACCEPTED
    is_active = True


class AdminMembershipFactory(MembershipFactory):
    role = Role.ADMIN
    user = factory.SubFactory(UserFactory, is_staff=True, password=DEFAULT_PASSWORD)


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    display_name = factory.Sequence(lambda n: f"Group {n}")

    @factory.post_generation
    def members(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            GroupMember.objects.bulk_create(
                [GroupMember(group=obj, membership=m) for m in extracted]
            )


class GroupRoleMappingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GroupRoleMapping

    organization = factory.SubFactory(OrganizationFactory)
    idp_group_name = factory.Sequence(lambda n: f"IdP group {n}")
    role = Role.ADMIN


class SamlConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SamlConnection

    organization = factory.SubFactory(OrganizationFactory)
    idp_entity_id = factory.LazyAttribute(lambda o: f"http://www.okta.com/exk{o.organization.slug}")
    idp_sso_url = factory.LazyAttribute(
        lambda o: f"https://example.okta.com/app/roster/{o.organization.slug}/sso/saml"
    )
    idp_x509_cert = ""
    is_active = True
    configured_at = factory.LazyFunction(timezone.now)


class ScimTokenFactory(factory.django.DjangoModelFactory):
    """A token row without a known plaintext; use ``scim_token_create`` when a test must call
    the API with it."""

    class Meta:
        model = ScimToken

    organization = factory.SubFactory(OrganizationFactory)
    description = "Okta"
    token_hash = factory.Sequence(lambda n: f"{n:064x}")
    prefix = factory.Sequence(lambda n: f"rst_scim_{n:06d}")


class AuditEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditEvent

    organization = factory.SubFactory(OrganizationFactory)
    actor_kind = "system"
    actor_label = "system"
    action = "org.updated"

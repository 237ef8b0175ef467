"""Registers the organization admin, composed from ``orgs`` and the SSO page's tabs."""

from django.contrib import admin

from console.sso_page import OrganizationSsoPagesMixin
from orgs.admin import OrganizationAdmin as BaseOrganizationAdmin
from orgs.models import Organization


@admin.register(Organization)
class OrganizationAdmin(OrganizationSsoPagesMixin, BaseOrganizationAdmin):
    """The domain's organization admin plus /<id>/sso/… (SAML and Provisioning tabs)."""

"""The organization's SSO page in the admin (SAML and Provisioning tabs).

Mixed into ``orgs.admin.OrganizationAdmin``; its ``get_urls`` adds the pages.
"""

from __future__ import annotations

from django.contrib import admin


class OrganizationSsoPagesMixin(admin.ModelAdmin):
    """Adds /admin/orgs/organization/<id>/sso/… pages to the organization admin."""

"""Password authentication that honours "Enforce SAML SSO".

A member of an organization that enforces SAML SSO cannot log in with a password, in the admin
or anywhere else ``authenticate()`` is used. Superusers keep a break-glass password login, so a
broken IdP can always be fixed. Sessions made by the SAML ACS are unaffected: only
``authenticate`` is restricted, not ``get_user``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from orgs.audit import Actor
from sso.selectors import organizations_enforcing_sso_for


class SsoEnforcingModelBackend(ModelBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None,
        password: str | None = None, **kwargs: Any,
    ) -> Any:
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None or user.is_superuser:
            return user
        enforcing = organizations_enforcing_sso_for(user=user)
        if not enforcing:
            return user
        from sso.services import password_login_refuse

        actor = Actor.for_user(user, request) if request is not None else Actor.for_user(user)
        for org in enforcing:
            password_login_refuse(user=user, organization=org, actor=actor)
        # PermissionDenied stops Django trying any other backend for this login.
        raise PermissionDenied("This organization requires SAML single sign-on.")

"""The only writers of SSO state, one module per noun: SAML connections and enforcement
(``connections``), sign-ins (``logins``), first-login account setup (``accounts``) and SAML's
one-time state (``state``). Each change records its audit event in the same transaction.
Callers import from here: ``from sso import services``.
"""

from sso.services.accounts import account_setup_complete, setup_elsewhere_message
from sso.services.connections import (
    organization_set_sso_enforced,
    saml_connection_activate,
    saml_connection_deactivate,
    saml_connection_save,
    saml_settings_validate,
)
from sso.services.logins import (
    LoginOutcome,
    SamlIdentity,
    password_login_refuse,
    saml_identity_clean,
    saml_link_confirm,
    saml_login_complete,
    saml_login_refuse,
)

__all__ = [
    "LoginOutcome",
    "SamlIdentity",
    "account_setup_complete",
    "organization_set_sso_enforced",
    "password_login_refuse",
    "saml_connection_activate",
    "saml_connection_deactivate",
    "saml_connection_save",
    "saml_identity_clean",
    "saml_link_confirm",
    "saml_login_complete",
    "saml_login_refuse",
    "saml_settings_validate",
    "setup_elsewhere_message",
]

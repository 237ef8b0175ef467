from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The admin console: composes the organization admin with the SSO page, whose SAML tab
    comes from ``sso`` and Provisioning tab from ``scim``. The only place that knows all three
    apps, so imports run one way: ``sso`` → ``orgs``, ``scim`` → ``orgs``."""

    name = "console"
    verbose_name = "Console"

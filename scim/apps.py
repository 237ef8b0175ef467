from django.apps import AppConfig
from django.db.backends.signals import connection_created

from orgs.text import fold


def _sqlite_unicode_lower(sender, connection, **kwargs) -> None:  # noqa: ANN001
    """SQLite's LOWER() folds ASCII only; SCIM filters compare case-insensitively through
    ``scim.filters.FoldCase``, which on SQLite calls this Unicode-aware one instead, so a filter
    answers the same on SQLite as on PostgreSQL (whose lower() is Unicode-aware). It is the
    fold of the stored lookup keys (``orgs.text.fold``)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "scim_fold", 1, lambda s: fold(s) if isinstance(s, str) else s, deterministic=True
        )


class ScimConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "scim"

    def ready(self) -> None:
        connection_created.connect(_sqlite_unicode_lower, dispatch_uid="scim_sqlite_fold")

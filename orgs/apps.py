from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate

from config import pg_timestamps
from config.sqlite import tune_connection, write_planner_statistics


class OrgsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "orgs"
    verbose_name = "Directory"

    def ready(self) -> None:
        import config.lookups  # noqa: F401 - registers field__any (one parameter for a list)

        # SQLite, told what Roster's data looks like (config/sqlite.py); PostgreSQL knows.
        connection_created.connect(tune_connection, dispatch_uid="roster_sqlite_tuning")
        # PostgreSQL: timestamps loaded by psycopg's C loader (config/pg_timestamps.py).
        connection_created.connect(pg_timestamps.install, dispatch_uid="roster_pg_timestamps")
        post_migrate.connect(write_planner_statistics, sender=self,
                             dispatch_uid="roster_sqlite_planner_statistics")

"""A version of each organization's member list order (issue 13): ``list_version`` goes up
whenever a member is inserted into, deleted from or moved out of the organization, that is
whenever the position of a member in the (created_at, id) order can shift. Deep
``startIndex`` pages use it to know that the positions they remembered
(``orgs.list_positions``) still hold.

The triggers of migration 0007 keep it, in the same statement as the count, on both
databases: they are replaced by the same triggers that also bump the version (PostgreSQL once
per statement, SQLite once per row). The column is added by plain SQL with a database default,
so the trigger that inserts an organization's row needs no change, and SQLite adds it in place
instead of remaking the table.
"""

from django.db import migrations, models

from orgs.migrations._vendor_sql import VendorSQL

ADD_COLUMN = ("ALTER TABLE orgs_organizationmembercount "
              "ADD COLUMN list_version bigint NOT NULL DEFAULT 0")


def _pg_counting(name: str, sql_set: str, table: str) -> str:
    return f"""
    CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE orgs_organizationmembercount c SET {sql_set}
        FROM (SELECT organization_id, count(*) AS rows FROM {table} GROUP BY organization_id) n
        WHERE c.organization_id = n.organization_id;
        RETURN NULL;
    END $$
    """


def _pg_move(bump: str) -> str:
    return f"""
    CREATE OR REPLACE FUNCTION orgs_membership_count_move() RETURNS trigger LANGUAGE plpgsql
    AS $$
    BEGIN
        UPDATE orgs_organizationmembercount SET members = members - 1{bump}
        WHERE organization_id = OLD.organization_id;
        UPDATE orgs_organizationmembercount SET members = members + 1{bump}
        WHERE organization_id = NEW.organization_id;
        RETURN NULL;
    END $$
    """


def _pg_truncate(bump: str) -> str:
    return f"""
    CREATE OR REPLACE FUNCTION orgs_membership_count_truncate() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE orgs_organizationmembercount SET members = 0{bump} WHERE members <> 0;
        RETURN NULL;
    END $$
    """


BUMP = ", list_version = list_version + 1"
POSTGRESQL = [
    _pg_counting("orgs_membership_count_insert",
                 "members = c.members + n.rows, list_version = c.list_version + 1", "inserted"),
    _pg_counting("orgs_membership_count_delete",
                 "members = c.members - n.rows, list_version = c.list_version + 1", "deleted"),
    _pg_move(BUMP),
    _pg_truncate(BUMP),
]
POSTGRESQL_REVERSE = [
    _pg_counting("orgs_membership_count_insert", "members = c.members + n.rows", "inserted"),
    _pg_counting("orgs_membership_count_delete", "members = c.members - n.rows", "deleted"),
    _pg_move(""),
    _pg_truncate(""),
]


def _sqlite(bump: str) -> list[str]:
    return [
        "DROP TRIGGER IF EXISTS orgs_membership_count_insert",
        "DROP TRIGGER IF EXISTS orgs_membership_count_delete",
        "DROP TRIGGER IF EXISTS orgs_membership_count_move",
        f"""
        CREATE TRIGGER orgs_membership_count_insert AFTER INSERT ON orgs_membership
        FOR EACH ROW BEGIN
            UPDATE orgs_organizationmembercount SET members = members + 1{bump}
            WHERE organization_id = NEW.organization_id;
        END
        """,
        f"""
        CREATE TRIGGER orgs_membership_count_delete AFTER DELETE ON orgs_membership
        FOR EACH ROW BEGIN
            UPDATE orgs_organizationmembercount SET members = members - 1{bump}
            WHERE organization_id = OLD.organization_id;
        END
        """,
        f"""
        CREATE TRIGGER orgs_membership_count_move AFTER UPDATE OF organization_id
        ON orgs_membership
        FOR EACH ROW WHEN OLD.organization_id IS NOT NEW.organization_id BEGIN
            UPDATE orgs_organizationmembercount SET members = members - 1{bump}
            WHERE organization_id = OLD.organization_id;
            UPDATE orgs_organizationmembercount SET members = members + 1{bump}
            WHERE organization_id = NEW.organization_id;
        END
        """,
    ]


class Migration(migrations.Migration):

    dependencies = [
        ("orgs", "0007_organization_member_count"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    ADD_COLUMN,
                    "ALTER TABLE orgs_organizationmembercount DROP COLUMN list_version"),
            ],
            state_operations=[
                migrations.AddField(
                    model_name="organizationmembercount", name="list_version",
                    field=models.BigIntegerField(default=0),
                ),
            ],
        ),
        VendorSQL("postgresql", POSTGRESQL, POSTGRESQL_REVERSE),
        VendorSQL("sqlite", _sqlite(BUMP), _sqlite("")),
    ]

"""The member list's version (``list_version``, migration 0008) goes up only when positions in
the (created_at, id) order can shift: a member deleted or moved out, or inserted anywhere but
after every other member. A member created by SCIM or the admin is stamped ``now`` and lands at
the end of the list, so the positions ``orgs.list_positions`` remembered stay true through an
IdP's pushes, and deep ``startIndex`` pages keep using them (before, every create made the next
deep page read them again: ~8 ms at 100,000 members, during a push that never ends).

Only the insert trigger changes, on both databases.

- PostgreSQL (per statement): the count's UPDATE comes first. Its row lock orders every change
  of the organization's members, as it did, so the check that follows, a statement with a
  snapshot of its own, sees every member committed before. The version goes up when a member
  that this statement did not insert comes after the first one it inserted. Two transactions
  whose order of commit differs from the order of their members: the later one to lock the
  row sees the other's member and bumps.
- SQLite (per row, one writer at a time): the version goes up when a member comes after the
  one inserted, which includes the earlier rows of the same statement (a conservative bump).
"""

from django.db import migrations

from orgs.migrations._vendor_sql import VendorSQL

_COUNT = """
        UPDATE orgs_organizationmembercount c SET members = c.members + n.rows{bump}
        FROM (SELECT organization_id, count(*) AS rows FROM inserted GROUP BY organization_id) n
        WHERE c.organization_id = n.organization_id;
"""

POSTGRESQL_INSERT = f"""
    CREATE OR REPLACE FUNCTION orgs_membership_count_insert() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        {_COUNT.format(bump="")}
        UPDATE orgs_organizationmembercount c SET list_version = c.list_version + 1
        FROM (SELECT DISTINCT ON (organization_id) organization_id, created_at, id
              FROM inserted ORDER BY organization_id, created_at, id) f
        WHERE c.organization_id = f.organization_id AND EXISTS (
            SELECT 1 FROM orgs_membership m
            WHERE m.organization_id = f.organization_id
              AND (m.created_at, m.id) > (f.created_at, f.id)
              AND NOT EXISTS (SELECT 1 FROM inserted i WHERE i.id = m.id));
        RETURN NULL;
    END $$
"""

POSTGRESQL_INSERT_0008 = f"""
    CREATE OR REPLACE FUNCTION orgs_membership_count_insert() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        {_COUNT.format(bump=", list_version = c.list_version + 1")}
        RETURN NULL;
    END $$
"""


def _sqlite_insert(version: str) -> list[str]:
    return [
        "DROP TRIGGER IF EXISTS orgs_membership_count_insert",
        f"""
        CREATE TRIGGER orgs_membership_count_insert AFTER INSERT ON orgs_membership
        FOR EACH ROW BEGIN
            UPDATE orgs_organizationmembercount SET members = members + 1,
                list_version = list_version + {version}
            WHERE organization_id = NEW.organization_id;
        END
        """,
    ]


SQLITE_AFTER_ALL = """(EXISTS (
                    SELECT 1 FROM orgs_membership m
                    WHERE m.organization_id = NEW.organization_id
                      AND (m.created_at, m.id) > (NEW.created_at, NEW.id)))"""


class Migration(migrations.Migration):

    dependencies = [
        ("orgs", "0008_member_list_version"),
    ]

    operations = [
        VendorSQL("postgresql", [POSTGRESQL_INSERT], [POSTGRESQL_INSERT_0008]),
        VendorSQL("sqlite", _sqlite_insert(SQLITE_AFTER_ALL), _sqlite_insert("1")),
    ]

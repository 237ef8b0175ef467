"""Each organization's member count, kept exact by the database (issue 13): an unfiltered SCIM
Users list (Okta's Test Connector, import pages, the first cursor page) reads its
``totalResults`` from one row instead of counting every member.

Triggers, not services, keep it, so every path that writes members stays exact: the services,
``bulk_create`` (``seed_scale``), cascades, admin deletes, raw SQL.

- An organization inserted gets its row at 0 and takes it along when deleted (the foreign key
  is deferred, so the row may go after the organization within the statement).
- A member inserted adds one to its organization's row, a member deleted takes one off, a
  member moved to another organization (nothing does so today) moves one.
- PostgreSQL: plain AFTER triggers, not deferred, so a count is right inside the transaction
  that changed it. Inserts and deletes are counted per statement from its transition table,
  one UPDATE for the whole statement: per-row UPDATEs of one row in one transaction each walk
  the versions the earlier ones left, which makes a 100,000-row insert quadratic (minutes,
  against about a second). TRUNCATE of the members sets every count to 0.
- SQLite: row triggers (it has no others); it updates the row in place, so each costs O(1).
  Django remakes a SQLite table to alter it (a copy, a DROP, a rename), which drops its
  triggers: a later migration that alters ``orgs_membership`` or ``orgs_organization`` on
  SQLite must install them again (``tests/orgs/test_member_count.py`` checks they are there).

Then every existing organization's row is filled from a real COUNT, after the triggers are in:
on PostgreSQL CREATE TRIGGER holds off concurrent writes to the table until the migration
commits, so no member is missed or counted twice.
"""

from django.db import migrations, models

from orgs.migrations._vendor_sql import VendorSQL


POSTGRESQL = [
    """
    CREATE FUNCTION orgs_organization_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO orgs_organizationmembercount (organization_id, members) VALUES (NEW.id, 0);
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER orgs_organization_count_insert AFTER INSERT ON orgs_organization
    FOR EACH ROW EXECUTE FUNCTION orgs_organization_count_insert()
    """,
    """
    CREATE FUNCTION orgs_organization_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM orgs_organizationmembercount WHERE organization_id = OLD.id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER orgs_organization_count_delete AFTER DELETE ON orgs_organization
    FOR EACH ROW EXECUTE FUNCTION orgs_organization_count_delete()
    """,
    """
    CREATE FUNCTION orgs_membership_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE orgs_organizationmembercount c SET members = c.members + n.rows
        FROM (SELECT organization_id, count(*) AS rows FROM inserted GROUP BY organization_id) n
        WHERE c.organization_id = n.organization_id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER orgs_membership_count_insert AFTER INSERT ON orgs_membership
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION orgs_membership_count_insert()
    """,
    """
    CREATE FUNCTION orgs_membership_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE orgs_organizationmembercount c SET members = c.members - n.rows
        FROM (SELECT organization_id, count(*) AS rows FROM deleted GROUP BY organization_id) n
        WHERE c.organization_id = n.organization_id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER orgs_membership_count_delete AFTER DELETE ON orgs_membership
    REFERENCING OLD TABLE AS deleted
    FOR EACH STATEMENT EXECUTE FUNCTION orgs_membership_count_delete()
    """,
    """
    CREATE FUNCTION orgs_membership_count_move() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE orgs_organizationmembercount SET members = members - 1
        WHERE organization_id = OLD.organization_id;
        UPDATE orgs_organizationmembercount SET members = members + 1
        WHERE organization_id = NEW.organization_id;
        RETURN NULL;
    END $$
    """,
    # A row trigger whose WHEN is checked without calling the function: a member's ordinary
    # UPDATE (every save sets organization_id to what it was) costs nothing more.
    """
    CREATE TRIGGER orgs_membership_count_move AFTER UPDATE OF organization_id ON orgs_membership
    FOR EACH ROW WHEN (OLD.organization_id IS DISTINCT FROM NEW.organization_id)
    EXECUTE FUNCTION orgs_membership_count_move()
    """,
    """
    CREATE FUNCTION orgs_membership_count_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE orgs_organizationmembercount SET members = 0 WHERE members <> 0;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER orgs_membership_count_truncate AFTER TRUNCATE ON orgs_membership
    FOR EACH STATEMENT EXECUTE FUNCTION orgs_membership_count_truncate()
    """,
]

POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS orgs_membership_count_truncate ON orgs_membership",
    "DROP TRIGGER IF EXISTS orgs_membership_count_move ON orgs_membership",
    "DROP TRIGGER IF EXISTS orgs_membership_count_delete ON orgs_membership",
    "DROP TRIGGER IF EXISTS orgs_membership_count_insert ON orgs_membership",
    "DROP TRIGGER IF EXISTS orgs_organization_count_delete ON orgs_organization",
    "DROP TRIGGER IF EXISTS orgs_organization_count_insert ON orgs_organization",
    "DROP FUNCTION IF EXISTS orgs_membership_count_truncate()",
    "DROP FUNCTION IF EXISTS orgs_membership_count_move()",
    "DROP FUNCTION IF EXISTS orgs_membership_count_delete()",
    "DROP FUNCTION IF EXISTS orgs_membership_count_insert()",
    "DROP FUNCTION IF EXISTS orgs_organization_count_delete()",
    "DROP FUNCTION IF EXISTS orgs_organization_count_insert()",
]

SQLITE = [
    """
    CREATE TRIGGER orgs_organization_count_insert AFTER INSERT ON orgs_organization
    FOR EACH ROW BEGIN
        INSERT INTO orgs_organizationmembercount (organization_id, members) VALUES (NEW.id, 0);
    END
    """,
    """
    CREATE TRIGGER orgs_organization_count_delete AFTER DELETE ON orgs_organization
    FOR EACH ROW BEGIN
        DELETE FROM orgs_organizationmembercount WHERE organization_id = OLD.id;
    END
    """,
    """
    CREATE TRIGGER orgs_membership_count_insert AFTER INSERT ON orgs_membership
    FOR EACH ROW BEGIN
        UPDATE orgs_organizationmembercount SET members = members + 1
        WHERE organization_id = NEW.organization_id;
    END
    """,
    """
    CREATE TRIGGER orgs_membership_count_delete AFTER DELETE ON orgs_membership
    FOR EACH ROW BEGIN
        UPDATE orgs_organizationmembercount SET members = members - 1
        WHERE organization_id = OLD.organization_id;
    END
    """,
    """
    CREATE TRIGGER orgs_membership_count_move AFTER UPDATE OF organization_id ON orgs_membership
    FOR EACH ROW WHEN OLD.organization_id IS NOT NEW.organization_id BEGIN
        UPDATE orgs_organizationmembercount SET members = members - 1
        WHERE organization_id = OLD.organization_id;
        UPDATE orgs_organizationmembercount SET members = members + 1
        WHERE organization_id = NEW.organization_id;
    END
    """,
]

SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS orgs_membership_count_move",
    "DROP TRIGGER IF EXISTS orgs_membership_count_delete",
    "DROP TRIGGER IF EXISTS orgs_membership_count_insert",
    "DROP TRIGGER IF EXISTS orgs_organization_count_delete",
    "DROP TRIGGER IF EXISTS orgs_organization_count_insert",
]

BACKFILL = """
    INSERT INTO orgs_organizationmembercount (organization_id, members)
    SELECT o.id, (SELECT COUNT(*) FROM orgs_membership m WHERE m.organization_id = o.id)
    FROM orgs_organization o
"""


class Migration(migrations.Migration):

    dependencies = [
        ("orgs", "0006_group_source"),
    ]

    operations = [
        migrations.CreateModel(
            name="OrganizationMemberCount",
            fields=[
                ("organization", models.OneToOneField(
                    on_delete=models.DO_NOTHING, primary_key=True, related_name="member_count",
                    serialize=False, to="orgs.organization")),
                ("members", models.IntegerField(default=0)),
            ],
        ),
        VendorSQL("postgresql", POSTGRESQL, POSTGRESQL_REVERSE),
        VendorSQL("sqlite", SQLITE, SQLITE_REVERSE),
        # Backwards, the table is dropped with its rows.
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]

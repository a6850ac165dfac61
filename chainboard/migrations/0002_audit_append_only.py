"""Make the audit table append-only in the database itself (等保: audit records are protected).

UPDATE and DELETE on chainboard_auditentry raise an error on SQLite and PostgreSQL alike, so not even a
bug or a shell session in the product can rewrite history.
"""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER chainboard_audit_no_update BEFORE UPDATE ON chainboard_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;""",
    """CREATE TRIGGER chainboard_audit_no_delete BEFORE DELETE ON chainboard_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS chainboard_audit_no_update;",
    "DROP TRIGGER IF EXISTS chainboard_audit_no_delete;",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION chainboard_audit_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit entries are append-only'; END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER chainboard_audit_append_only BEFORE UPDATE OR DELETE ON chainboard_auditentry
       FOR EACH ROW EXECUTE FUNCTION chainboard_audit_append_only();""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS chainboard_audit_append_only ON chainboard_auditentry;",
    "DROP FUNCTION IF EXISTS chainboard_audit_append_only();",
]


def forwards(apps, schema_editor):
    statements = {"sqlite": SQLITE, "postgresql": POSTGRES}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    statements = {"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("chainboard", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]

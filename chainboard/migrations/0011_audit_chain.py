"""The audit trail, append-only for real, and tamper-evident (docs/audit-trail.md).

- Each entry gets ``prev_hash`` and ``hash`` (SHA-256 chained over the previous entry's,
  chainboard/auditchain.py); the entries already written are hashed here, in id order.
- ``time`` is set in Python before hashing (a default, no longer auto_now_add).
- The triggers are rebuilt (SQLite rebuilds the table to add the columns, which drops its triggers):
  UPDATE refused; DELETE refused except under a purge permit for rows older than 183 days; on
  PostgreSQL, TRUNCATE refused. (On SQLite, ``INSERT OR REPLACE`` deletes the row it replaces without
  firing the delete trigger unless the connection has ``PRAGMA recursive_triggers`` on: settings.py turns
  it on for every connection the application opens. A BEFORE INSERT trigger would refuse it from any
  connection, but its mere presence doubles the cost of every audit row an import inserts.)

The SQL lists are module constants so that tests which must empty the table between tests
(chainboard/tests/test_browser.py) can lift the triggers and put them back.
"""

from django.db import migrations, models
from django.utils import timezone

MESSAGE = "audit entries are append-only"
FLOOR_DAYS = 183  # chainboard.auditchain.MINIMUM_RETENTION_DAYS, frozen here

SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS chainboard_audit_no_update;",
    "DROP TRIGGER IF EXISTS chainboard_audit_no_delete;",
]
SQLITE = [
    f"""CREATE TRIGGER chainboard_audit_no_update BEFORE UPDATE ON chainboard_auditentry
       BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
    # Django stores times as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC: text order is time order.
    f"""CREATE TRIGGER chainboard_audit_no_delete BEFORE DELETE ON chainboard_auditentry
       WHEN OLD.time >= datetime('now', '-{FLOOR_DAYS} days')
         OR NOT EXISTS (SELECT 1 FROM chainboard_auditpurgepermit p WHERE OLD.id < p.below_id)
       BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS chainboard_audit_append_only ON chainboard_auditentry;",
    "DROP TRIGGER IF EXISTS chainboard_audit_no_truncate ON chainboard_auditentry;",
    "DROP FUNCTION IF EXISTS chainboard_audit_append_only();",
    "DROP FUNCTION IF EXISTS chainboard_audit_no_truncate();",
]
POSTGRES = [
    f"""CREATE OR REPLACE FUNCTION chainboard_audit_append_only() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'DELETE' AND OLD.time < now() - interval '{FLOOR_DAYS} days' AND EXISTS (
           SELECT 1 FROM chainboard_auditpurgepermit p WHERE OLD.id < p.below_id
         ) THEN
           RETURN OLD;
         END IF;
         RAISE EXCEPTION '{MESSAGE}';
       END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER chainboard_audit_append_only BEFORE UPDATE OR DELETE ON chainboard_auditentry
       FOR EACH ROW EXECUTE FUNCTION chainboard_audit_append_only();""",
    f"""CREATE OR REPLACE FUNCTION chainboard_audit_no_truncate() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER chainboard_audit_no_truncate BEFORE TRUNCATE ON chainboard_auditentry
       FOR EACH STATEMENT EXECUTE FUNCTION chainboard_audit_no_truncate();""",
]
# The triggers of 0002, to go back to.
OLD_SQLITE = [
    f"""CREATE TRIGGER chainboard_audit_no_update BEFORE UPDATE ON chainboard_auditentry
       BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
    f"""CREATE TRIGGER chainboard_audit_no_delete BEFORE DELETE ON chainboard_auditentry
       BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
]
OLD_POSTGRES = [
    f"""CREATE OR REPLACE FUNCTION chainboard_audit_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER chainboard_audit_append_only BEFORE UPDATE OR DELETE ON chainboard_auditentry
       FOR EACH ROW EXECUTE FUNCTION chainboard_audit_append_only();""",
]


def _run(schema_editor, statements):
    for sql in statements:
        schema_editor.execute(sql)


def _hash_existing(apps, schema_editor):
    """Chain the entries written before this migration, in id order (the triggers are down meanwhile)."""
    from chainboard.auditchain import GENESIS, HASHED, digest

    AuditEntry = apps.get_model("chainboard", "AuditEntry")
    columns = ("id", *HASHED)
    prev = GENESIS
    batch = []
    with schema_editor.connection.cursor() as cursor:
        for values in AuditEntry.objects.order_by("id").values_list(*columns).iterator(chunk_size=5000):
            row = dict(zip(columns, values, strict=True))
            new = digest(prev, row)
            batch.append((prev, new, row["id"]))
            prev = new
            if len(batch) >= 5000:
                cursor.executemany("UPDATE chainboard_auditentry SET prev_hash = %s, hash = %s WHERE id = %s", batch)
                batch = []
        if batch:
            cursor.executemany("UPDATE chainboard_auditentry SET prev_hash = %s, hash = %s WHERE id = %s", batch)


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_REVERSE)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_REVERSE)
    _hash_existing(apps, schema_editor)
    if vendor == "sqlite":
        _run(schema_editor, SQLITE)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_REVERSE)
        _run(schema_editor, OLD_SQLITE)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_REVERSE)
        _run(schema_editor, OLD_POSTGRES)


class Migration(migrations.Migration):
    dependencies = [("chainboard", "0010_import_heartbeat")]

    operations = [
        migrations.CreateModel(
            name="AuditPurgePermit",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("below_id", models.BigIntegerField(verbose_name="below id")),
            ],
            options={
                "verbose_name": "audit purge permit",
                "verbose_name_plural": "audit purge permits",
                "default_permissions": (),
            },
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="time",
            field=models.DateTimeField(
                db_index=True, default=timezone.now, editable=False, verbose_name="time"
            ),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="prev_hash",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="The hash of the entry before this one (empty for the first entry ever written).",
                max_length=64,
                verbose_name="previous hash",
            ),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="hash",
            field=models.CharField(
                default="",
                editable=False,
                help_text="SHA-256 of this entry's fields and the previous hash.",
                max_length=64,
                verbose_name="hash",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(forwards, backwards),
    ]

"""PostgreSQL: the words function of the search index cuts the text into pairs with a cheaper regular
expression (chainboard.search, the comment above PG_WORDS; docs/search.md); the GIN indexes built with
the former function are rebuilt. The answers are the same either way. Nothing on SQLite, nothing where no
index is installed yet (the index migrations of the apps create the function as it is now)."""

from django.db import migrations

from chainboard import search


def forwards(apps, schema_editor):
    conn = schema_editor.connection
    if conn.vendor != "postgresql":
        return
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_proc WHERE proname = %s", [search.PG_WORDS])
        if cursor.fetchone() is None:
            return
        for sql in search._pg_functions():
            cursor.execute(sql)
        cursor.execute(
            "SELECT i.indexrelid::regclass::text FROM pg_index i"
            " JOIN pg_proc p ON p.proname = %s"
            " JOIN pg_depend d ON d.objid = i.indexrelid AND d.refobjid = p.oid"
            " ORDER BY 1",
            [search.PG_WORDS],
        )
        for (index,) in cursor.fetchall():
            cursor.execute(f"REINDEX INDEX {index}")


class Migration(migrations.Migration):
    dependencies = [("chainboard", "0021_notices_webhooks")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

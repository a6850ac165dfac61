"""Schema helpers the migrations share: an index replaced by a wider one that starts with its columns.

Migrations call these by name, so they keep their behaviour: a change here is a change to every migration
that ran them.
"""

from django.db import migrations, models


def drop_lone_index(schema_editor, table: str, column: str) -> None:
    """Drop the indexes on ``column`` alone (a foreign key's own, and on PostgreSQL its ``_like`` twin),
    found by their columns whatever they are named, once a wider index that starts with the column answers
    every lookup they did. Then, on SQLite, the table's statistics are renewed (:func:`reanalyse`)."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    for name, info in constraints.items():
        if info["index"] and not info["unique"] and not info["primary_key"] and info["columns"] == [column]:
            schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")
    reanalyse(schema_editor, table)


def reanalyse(schema_editor, table: str) -> None:
    """SQLite plans from the statistics ANALYZE wrote; an index without them is planned on guesses beside
    indexes with them. Where the table was analysed, it is again (a million rows: about a second); a table
    never analysed stays so (without statistics every index is guessed alike). Nothing on PostgreSQL, whose
    statistics are per column and kept by autovacuum."""
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
        analysed = cursor.fetchone() is not None
        if analysed:
            cursor.execute("SELECT 1 FROM sqlite_stat1 WHERE tbl = %s LIMIT 1", [table])
            analysed = cursor.fetchone() is not None
    if analysed:
        schema_editor.execute(f"ANALYZE {schema_editor.quote_name(table)}")


def foreign_key_index_dropped(app_label: str, model_name: str, name: str, field, old_index: str):
    """The migration operation that drops the index of the foreign key ``name`` alone, once a wider index
    that starts with its column answers every lookup it did: ``db_index=False`` in Django's state
    (``field``, the field as declared after), the index dropped by its columns in the database
    (:func:`drop_lone_index`), and put back by its old name on the way back. Not ``AlterField`` alone:
    on SQLite it rebuilds the whole table to drop an index (and loses the table's planner statistics
    until the next ``ANALYZE``)."""

    def forwards(apps, schema_editor):
        meta = apps.get_model(app_label, model_name)._meta
        drop_lone_index(schema_editor, meta.db_table, meta.get_field(name).column)

    def backwards(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        schema_editor.add_index(model, models.Index(fields=[name], name=old_index))

    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AlterField(model_name=model_name, name=name, field=field)],
        database_operations=[migrations.RunPython(forwards, backwards)],
    )

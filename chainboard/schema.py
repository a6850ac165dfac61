"""Schema helpers the migrations share: an index replaced by a wider one that starts with its columns.

Migrations call these by name, so they keep their behaviour: a change here is a change to every migration
that ran them.
"""

from django.db import migrations, models

# ruff: noqa: S608 - the SQL here is built from table and column names a migration passes (quoted), never
# from input.


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


def carried_column(far: str, key: str, near: str, column: str) -> migrations.RunPython:
    """Triggers that keep ``far.column`` equal to ``near.column`` of the row ``far.key`` points at (a
    membership's region is its enterprise's): set when a far row is written (whatever it says), and on
    every far row of a near row whose column changes. In the database, so that every write path keeps it,
    bulk inserts and queryset updates included; ``far.column`` is filled for the rows there already. The
    model declares it (``carried``, chainboard/scope.py) and excludes it from its forms and audit. Both
    tables are keyed by ``id``.

    SQLite drops a table's triggers with the table, and its schema editor remakes a table for most
    changes to it: a later migration that alters ``far`` or ``near`` on SQLite must run this again (a
    test of the carried value fails otherwise, chainboard/tests/test_carried.py)."""

    def forwards(apps, schema_editor):
        for statement in _carried_sql(schema_editor, far, key, near, column):
            schema_editor.execute(statement)

    def backwards(apps, schema_editor):
        name = f"{far}_{column}_carried"
        quote = schema_editor.quote_name
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {quote(name)} ON {quote(far)}")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {quote(name + '_near')} ON {quote(near)}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {quote(name)}()")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {quote(name + '_near')}()")
        else:
            for suffix in ("_insert", "_update", "_near"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {quote(name + suffix)}")

    return migrations.RunPython(forwards, backwards)


def _carried_sql(schema_editor, far: str, key: str, near: str, column: str) -> list[str]:
    """The statements :func:`carried_column` runs: the far rows filled, then the triggers. Names are the
    migration's own (no user input)."""
    quote = schema_editor.quote_name
    f, k, n, c = quote(far), quote(key), quote(near), quote(column)
    name = f"{far}_{column}_carried"
    source = f"(SELECT {c} FROM {n} WHERE {n}.id = {f}.{k})"
    statements = [f"UPDATE {f} SET {c} = {source}"]
    if schema_editor.connection.vendor == "postgresql":
        statements += [
            f"CREATE OR REPLACE FUNCTION {quote(name)}() RETURNS trigger AS $$ BEGIN "
            f"NEW.{c} := (SELECT {c} FROM {n} WHERE id = NEW.{k}); RETURN NEW; END $$ LANGUAGE plpgsql",
            f"CREATE TRIGGER {quote(name)} BEFORE INSERT OR UPDATE OF {c}, {k} ON {f} "
            f"FOR EACH ROW EXECUTE FUNCTION {quote(name)}()",
            f"CREATE OR REPLACE FUNCTION {quote(name + '_near')}() RETURNS trigger AS $$ BEGIN "
            f"UPDATE {f} SET {c} = NEW.{c} WHERE {k} = NEW.id AND {c} IS DISTINCT FROM NEW.{c}; "
            f"RETURN NULL; END $$ LANGUAGE plpgsql",
            f"CREATE TRIGGER {quote(name + '_near')} AFTER UPDATE OF {c} ON {n} FOR EACH ROW "
            f"WHEN (OLD.{c} IS DISTINCT FROM NEW.{c}) EXECUTE FUNCTION {quote(name + '_near')}()",
        ]
        return statements
    own = f"(SELECT {c} FROM {n} WHERE id = NEW.{k})"
    for suffix, event in (("_insert", "INSERT"), ("_update", f"UPDATE OF {c}, {k}")):
        statements.append(
            f"CREATE TRIGGER IF NOT EXISTS {quote(name + suffix)} AFTER {event} ON {f} "
            f"FOR EACH ROW WHEN NEW.{c} IS NOT {own} "
            f"BEGIN UPDATE {f} SET {c} = {own} WHERE id = NEW.id; END"
        )
    statements.append(
        f"CREATE TRIGGER IF NOT EXISTS {quote(name + '_near')} AFTER UPDATE OF {c} ON {n} "
        f"FOR EACH ROW WHEN NEW.{c} IS NOT OLD.{c} "
        f"BEGIN UPDATE {f} SET {c} = NEW.{c} WHERE {k} = NEW.id; END"
    )
    return statements

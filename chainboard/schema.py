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


def kept_count(table: str, group: str, distinct: str, near: str) -> migrations.RunPython:
    """Triggers that keep, in ``chainboard_keptcount``, how many distinct ``distinct`` values each
    ``group`` value of ``table`` has (the enterprises per membership role), under the name
    :func:`chainboard.keptcounts.kept_name` gives; the counts filled for the rows there already. In the
    database, so that every write path keeps them: a form, the API, an import's bulk insert, a queryset
    update or delete, a cascade. ``near``: the table ``distinct`` points at, whose rows a PostgreSQL
    writer locks so that two transactions adding the first row of one pair count it once. Both columns
    are NOT NULL; ``table`` is keyed by ``id``.

    PostgreSQL: a statement-level trigger per event reads the statement's rows (transition tables) and
    adds one row of changes per value it changed; readers add the rows up (the ``fold-kept-counts`` job
    folds them). SQLite: row triggers keep one row per value, and a decrement only ever updates that row,
    so that ``DELETE FROM`` the kept table before the counted one (the test runner's flush) leaves
    nothing behind. SQLite drops a table's triggers with the table: a later migration that makes Django
    remake ``table`` on SQLite must run this again (chainboard/tests/test_kept_counts.py fails
    otherwise)."""

    def forwards(apps, schema_editor):
        for statement in _kept_sql(schema_editor, table, group, distinct, near):
            schema_editor.execute(statement)

    def backwards(apps, schema_editor):
        from chainboard.keptcounts import kept_name

        quote = schema_editor.quote_name
        name = f"{table}_{group}_kept"
        if schema_editor.connection.vendor == "postgresql":
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {quote(f'{name}_{event}')} ON {quote(table)}")
                schema_editor.execute(f"DROP FUNCTION IF EXISTS {quote(f'{name}_{event}')}()")
        else:
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {quote(f'{name}_{event}')}")
        schema_editor.execute(
            "DELETE FROM chainboard_keptcount WHERE name = %s", [kept_name(table, group, distinct)]
        )

    return migrations.RunPython(forwards, backwards)


def _kept_sql(schema_editor, table: str, group: str, distinct: str, near: str) -> list[str]:
    """The statements :func:`kept_count` runs: the counts filled afresh, then the triggers. Names are the
    migration's own (no user input); the count's name is quoted as a literal."""
    from chainboard.keptcounts import kept_name

    quote = schema_editor.quote_name
    t, g, d, n = quote(table), quote(group), quote(distinct), quote(near)
    kept = quote("chainboard_keptcount")
    label = "'" + kept_name(table, group, distinct).replace("'", "''") + "'"
    name = f"{table}_{group}_kept"
    statements = [
        f"DELETE FROM {kept} WHERE name = {label}",
        f"INSERT INTO {kept} (name, value, n) SELECT {label}, CAST({g} AS TEXT), COUNT(DISTINCT {d}) "
        f"FROM {t} GROUP BY {g}",
    ]
    if schema_editor.connection.vendor == "postgresql":
        none = f"SELECT {d} AS d, {g} AS g, 0::bigint AS k FROM {t} WHERE false"
        for event, old, new in (
            ("insert", none, f"SELECT {d} AS d, {g} AS g, COUNT(*) AS k FROM new_rows GROUP BY 1, 2"),
            (
                "update",
                f"SELECT {d} AS d, {g} AS g, COUNT(*) AS k FROM old_rows GROUP BY 1, 2",
                f"SELECT {d} AS d, {g} AS g, COUNT(*) AS k FROM new_rows GROUP BY 1, 2",
            ),
            ("delete", f"SELECT {d} AS d, {g} AS g, COUNT(*) AS k FROM old_rows GROUP BY 1, 2", none),
        ):
            function = quote(f"{name}_{event}")
            # Each pair the statement touched: present after it (c) and before it (c - new + old). The
            # rows the pairs point at are locked first, in key order: a concurrent writer of the same
            # pair waits, and its next statement then sees this one's rows once committed.
            statements.append(
                f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$ BEGIN "
                f"PERFORM 1 FROM {n} WHERE id IN (SELECT d FROM ({old}) o UNION SELECT d FROM ({new}) w) "
                "ORDER BY id FOR NO KEY UPDATE; "
                f"WITH o AS ({old}), w AS ({new}), p AS (SELECT d, g FROM o UNION SELECT d, g FROM w), "
                f"c AS (SELECT {d} AS d, {g} AS g, COUNT(*) AS k FROM {t} "
                f"WHERE {d} IN (SELECT d FROM p) GROUP BY 1, 2), "
                "delta AS (SELECT p.g, SUM((CASE WHEN COALESCE(c.k, 0) > 0 THEN 1 ELSE 0 END) - "
                "(CASE WHEN COALESCE(c.k, 0) - COALESCE(w.k, 0) + COALESCE(o.k, 0) > 0 THEN 1 ELSE 0 END)) "
                "AS n FROM p LEFT JOIN o ON o.d = p.d AND o.g = p.g LEFT JOIN w ON w.d = p.d AND w.g = p.g "
                "LEFT JOIN c ON c.d = p.d AND c.g = p.g GROUP BY p.g) "
                f"INSERT INTO {kept} (name, value, n) SELECT {label}, CAST(g AS TEXT), n FROM delta "
                "WHERE n <> 0; RETURN NULL; END $$ LANGUAGE plpgsql"
            )
            tables = {
                "insert": "NEW TABLE AS new_rows",
                "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
                "delete": "OLD TABLE AS old_rows",
            }[event]
            statements += [
                f"DROP TRIGGER IF EXISTS {function} ON {t}",
                f"CREATE TRIGGER {function} AFTER {event.upper()} ON {t} REFERENCING {tables} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
            ]
        return statements

    def pairs(row: str) -> str:
        return f"(SELECT COUNT(*) FROM {t} WHERE {d} = {row}.{d} AND {g} = {row}.{g})"

    def value(row: str) -> str:
        return f"name = {label} AND value = CAST({row}.{g} AS TEXT)"

    def added(row: str) -> str:
        # The value's row made when missing, then counted up: the pair is new when this row is its only one.
        return (
            f"INSERT INTO {kept} (name, value, n) SELECT {label}, CAST({row}.{g} AS TEXT), 0 "
            f"WHERE {pairs(row)} = 1 AND NOT EXISTS (SELECT 1 FROM {kept} WHERE {value(row)}); "
            f"UPDATE {kept} SET n = n + 1 WHERE {value(row)} AND {pairs(row)} = 1;"
        )

    def removed(row: str) -> str:
        return f"UPDATE {kept} SET n = n - 1 WHERE {value(row)} AND {pairs(row)} = 0;"

    statements += [
        f"CREATE TRIGGER IF NOT EXISTS {quote(name + '_insert')} AFTER INSERT ON {t} FOR EACH ROW "
        f"BEGIN {added('NEW')} END",
        f"CREATE TRIGGER IF NOT EXISTS {quote(name + '_update')} AFTER UPDATE OF {g}, {d} ON {t} FOR EACH ROW "
        f"WHEN OLD.{g} IS NOT NEW.{g} OR OLD.{d} IS NOT NEW.{d} BEGIN {removed('OLD')} {added('NEW')} END",
        f"CREATE TRIGGER IF NOT EXISTS {quote(name + '_delete')} AFTER DELETE ON {t} FOR EACH ROW "
        f"BEGIN {removed('OLD')} END",
    ]
    return statements

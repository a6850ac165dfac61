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
    from chainboard import planner

    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    if table in planner.recorded(connection)[0]:
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


def kept_count(table: str, groups: tuple[str, ...], distinct: str, near: str) -> migrations.RunPython:
    """Triggers that keep, in ``chainboard_keptcount``, how many distinct ``distinct`` values each value
    of each of ``groups`` of ``table`` has (the enterprises per membership role, and per chain), under
    the names :func:`chainboard.keptcounts.kept_name` gives; the counts filled for the rows there
    already. In the database, so that every write path keeps them: a form, the API, an import's bulk
    insert, a queryset update or delete, a cascade. ``near``: the table ``distinct`` points at, whose rows
    a PostgreSQL writer locks so that two transactions adding the first row of one pair count it once.
    The columns are NOT NULL; ``table`` is keyed by ``id``.

    PostgreSQL: a statement-level trigger per event (one for every group) reads the statement's rows
    (transition tables) and adds one row of changes per value it changed; readers add the rows up (the
    ``fold-kept-counts`` job folds them). SQLite: row triggers keep one row per value, and a decrement
    only ever updates that row, so that ``DELETE FROM`` the kept table before the counted one (the test
    runner's flush) leaves nothing behind. SQLite drops a table's triggers with the table: a later
    migration that makes Django remake ``table`` on SQLite must run this again
    (chainboard/tests/test_kept_counts.py fails otherwise)."""

    def forwards(apps, schema_editor):
        for statement in _kept_sql(schema_editor, table, groups, distinct, near):
            schema_editor.execute(statement)

    def backwards(apps, schema_editor):
        from chainboard.keptcounts import kept_name

        quote = schema_editor.quote_name
        events = ("insert", "update", "delete")
        if schema_editor.connection.vendor == "postgresql":
            for event in events:
                name = quote(f"{table}_{distinct}_kept_{event}")
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {quote(table)}")
                schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        for group in groups:
            if schema_editor.connection.vendor != "postgresql":
                for event in events:
                    schema_editor.execute(f"DROP TRIGGER IF EXISTS {quote(f'{table}_{group}_kept_{event}')}")
            schema_editor.execute(
                "DELETE FROM chainboard_keptcount WHERE name = %s", [kept_name(table, group, distinct)]
            )

    return migrations.RunPython(forwards, backwards)


def _kept_sql(schema_editor, table: str, groups: tuple[str, ...], distinct: str, near: str) -> list[str]:
    """The statements :func:`kept_count` runs: the counts filled afresh, then the triggers. Names are the
    migration's own (no user input); the counts' names are quoted as literals."""
    from chainboard.keptcounts import kept_name

    quote = schema_editor.quote_name
    t, d = quote(table), quote(distinct)
    kept = quote("chainboard_keptcount")

    def label(group: str) -> str:
        return "'" + kept_name(table, group, distinct).replace("'", "''") + "'"

    statements = []
    for group in groups:
        statements += [
            f"DELETE FROM {kept} WHERE name = {label(group)}",
            f"INSERT INTO {kept} (name, value, n) SELECT {label(group)}, CAST({quote(group)} AS TEXT), "
            f"COUNT(DISTINCT {d}) FROM {t} GROUP BY {quote(group)}",
        ]
    if schema_editor.connection.vendor == "postgresql":
        return statements + _kept_pg(quote, table, groups, distinct, near, label)

    for group in groups:
        g = quote(group)
        name = f"{table}_{group}_kept"

        def pairs(row: str, g=g) -> str:
            return f"(SELECT COUNT(*) FROM {t} WHERE {d} = {row}.{d} AND {g} = {row}.{g})"

        def value(row: str, g=g, group=group) -> str:
            return f"name = {label(group)} AND value = CAST({row}.{g} AS TEXT)"

        def added(row: str, g=g, group=group) -> str:
            # The value's row made when missing (a row of 0 is read as no row), then counted up: the pair
            # is new when this row is its only one. One count of the pair per row written.
            return (
                f"INSERT INTO {kept} (name, value, n) SELECT {label(group)}, CAST({row}.{g} AS TEXT), 0 "
                f"WHERE NOT EXISTS (SELECT 1 FROM {kept} WHERE {value(row)}); "
                f"UPDATE {kept} SET n = n + 1 WHERE {value(row)} AND {pairs(row)} = 1;"
            )

        def removed(row: str) -> str:
            return f"UPDATE {kept} SET n = n - 1 WHERE {value(row)} AND {pairs(row)} = 0;"

        statements += [
            f"CREATE TRIGGER IF NOT EXISTS {quote(name + '_insert')} AFTER INSERT ON {t} FOR EACH ROW "
            f"BEGIN {added('NEW')} END",
            f"CREATE TRIGGER IF NOT EXISTS {quote(name + '_update')} AFTER UPDATE OF {g}, {d} ON {t} "
            f"FOR EACH ROW WHEN OLD.{g} IS NOT NEW.{g} OR OLD.{d} IS NOT NEW.{d} "
            f"BEGIN {removed('OLD')} {added('NEW')} END",
            f"CREATE TRIGGER IF NOT EXISTS {quote(name + '_delete')} AFTER DELETE ON {t} FOR EACH ROW "
            f"BEGIN {removed('OLD')} END",
        ]
    return statements


def _kept_pg(quote, table: str, groups: tuple[str, ...], distinct: str, near: str, label) -> list[str]:
    """PostgreSQL's part of :func:`_kept_sql`: one function and statement-level trigger per event."""
    t, d, n = quote(table), quote(distinct), quote(near)
    kept = quote("chainboard_keptcount")
    statements = []
    for event in ("insert", "update", "delete"):
        function = quote(f"{table}_{distinct}_kept_{event}")
        sources = {"insert": ("new_rows",), "update": ("old_rows", "new_rows"), "delete": ("old_rows",)}[
            event
        ]
        keys = " UNION ".join(f"SELECT {d} FROM {source}" for source in sources)
        # The rows the statement's pairs point at are locked first, in key order: a concurrent writer of
        # the same pair waits, and its next statement then sees this one's rows once committed.
        body = [f"PERFORM 1 FROM {n} WHERE id = ANY(ARRAY({keys})) ORDER BY id FOR NO KEY UPDATE;"]
        for group in groups:
            g = quote(group)

            def per_pair(source: str, g=g) -> str:
                if source not in sources:
                    return f"SELECT {d} AS d, {g} AS g, 0::bigint AS k FROM {t} WHERE false"
                return f"SELECT {d} AS d, {g} AS g, COUNT(*) AS k FROM {source} GROUP BY 1, 2"

            # Each pair the statement touched: present after it (c) and before it (c - new + old). The
            # table's rows are looked up by key (= ANY of an array): the function's plan is made once,
            # and with the statistics of that moment a join could scan a table that has since grown (an
            # import's 100,000 rows inserted one statement at a time: minutes instead of seconds).
            body.append(
                f"WITH o AS ({per_pair('old_rows')}), w AS ({per_pair('new_rows')}), "
                "p AS (SELECT d, g FROM o UNION SELECT d, g FROM w), "
                f"c AS (SELECT {d} AS d, {g} AS g, COUNT(*) AS k FROM {t} "
                f"WHERE {d} = ANY(ARRAY(SELECT DISTINCT d FROM p)) GROUP BY 1, 2), "
                "delta AS (SELECT p.g, SUM((CASE WHEN COALESCE(c.k, 0) > 0 THEN 1 ELSE 0 END) - "
                "(CASE WHEN COALESCE(c.k, 0) - COALESCE(w.k, 0) + COALESCE(o.k, 0) > 0 THEN 1 ELSE 0 END)) "
                "AS n FROM p LEFT JOIN o ON o.d = p.d AND o.g = p.g LEFT JOIN w ON w.d = p.d AND w.g = p.g "
                "LEFT JOIN c ON c.d = p.d AND c.g = p.g GROUP BY p.g) "
                f"INSERT INTO {kept} (name, value, n) SELECT {label(group)}, CAST(g AS TEXT), n FROM delta "
                "WHERE n <> 0;"
            )
        tables = {
            "insert": "NEW TABLE AS new_rows",
            "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            "delete": "OLD TABLE AS old_rows",
        }[event]
        statements += [
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$ BEGIN "
            + " ".join(body)
            + " RETURN NULL; END $$ LANGUAGE plpgsql",
            f"DROP TRIGGER IF EXISTS {function} ON {t}",
            f"CREATE TRIGGER {function} AFTER {event.upper()} ON {t} REFERENCING {tables} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        ]
    return statements

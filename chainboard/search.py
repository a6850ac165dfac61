"""Indexed text search: Chinese substrings of any length and pinyin by prefix, on SQLite and PostgreSQL,
without scanning the table. Why this design, and the measurements behind it: ``docs/search.md``.

A model opts in by declaring ``search_fields`` (its own text fields) on the model class, and a migration
of its app installs its index (:func:`install`). Per object, from the values of those fields, two sets
of tokens are indexed:

- **words**: per value, every character bigram of the text (ASCII letters lower-cased, control characters
  removed), in order, then the value's last character alone. A 1-character term is a prefix query (the
  tokens that start with it: its bigrams and a final character), a 2-character term one token, a longer
  term the phrase of its bigrams (consecutive positions: exactly the substring, nothing to confirm; on
  PostgreSQL, which keeps no positions, the AND of its bigrams confirmed by ``strpos`` on the values).
- **pinyin**: per value that holds a character with a reading, and per character of it (the first
  ``PINYIN_POSITIONS``), the tokens "value number, position, syllable" and "value number, position,
  first letter", for every reading of the character (pypinyin ``heteronym=True``), and the first
  letters of each two consecutive characters as one token ("00-jh"); an ASCII letter or digit is its
  own syllable. A term of letters and digits (spaces and apostrophes ignored) is split into
  the initials of consecutive characters (``jbfs``) or into syllables whose last may be cut short
  (``jingbaif``), and matches a value whose characters read so from its start: the AND of the
  positions' tokens. Every reading of every character is indexed once per position, so a polyphonic
  name (长城重工: chang/zhang, zhong/chong) matches every combination without writing combinations.
  PostgreSQL stores no "first letter" token: a lone initial asks for its position's syllables by
  prefix (``01b:*``).

On SQLite the two sets live in two contentless FTS5 tables (``ascii`` tokenizer with every printable
character a token character, so a token is exactly what was written; words with positions, pinyin
without), kept by triggers on the model's table that call :func:`words_text` and :func:`pinyin_text`
(registered on every connection: ``chainboard.apps``). On PostgreSQL a table beside the model's holds
two text columns (the normalised values; the pinyin tokens), each with a GIN index over an SQL function
that makes its tokens (:func:`_pg_functions`); the write path (:func:`reindex`, called by
:mod:`chainboard.actions`, and :func:`index_many`, called by imports inside their transaction) writes
them and a trigger deletes them with the row. Either way the index changes in the transaction that
changes the row: a committed row is searchable, a rolled-back one leaves nothing.

:func:`matches` is the filter condition (``queryset.filter(search.matches(Model, "纺织"))``) and
:func:`matching_ids` a subquery of ids; both apply to a queryset that is already restricted, so scope
applies as everywhere else.
"""

# Only identifiers (from the models and migrations) and constants are formatted into SQL here; every
# value, the search term included, is a parameter.
# ruff: noqa: S608

from __future__ import annotations

import contextlib
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from functools import lru_cache, partial

from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.db import connection, models
from django.db.models import Expression, F

from chainboard.dbfunctions import without_parallel_workers

PINYIN_POSITIONS = 16  # characters of a value indexed for pinyin; a longer query is matched on these
SEGMENTATIONS = 8  # at most this many ways of reading a term as full pinyin
BATCH = 5000
BUILD_MEMORY = "256MB"  # PostgreSQL's maintenance_work_mem while a GIN index is built (1 GB gained nothing)
SEP = "\x1f"  # between tokens: a control character, which normalise() removes from every text
# A region token (``search_region``) is this mark and a prefix of the row's region code at each of
# these lengths (GB/T 2260: city, county, town, village): "\x1e1405", "\x1e140581", "\x1e140581101".
# Not the province's: every row of a deployment shares it. The mark is a control character, so no
# term (normalised) can ask for one, not even the prefix query of a 1-character term; FTS5 reads it as
# a token character (``_fts_options``).
REGION_MARK = "\x1e"
REGION_LEVELS = (4, 6, 9, 12)

# ASCII upper case to lower, control characters (SEP among them) deleted: one pass of str.translate.
_NORMAL = str.maketrans(
    {**{ord(c): c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}, **dict.fromkeys([*range(32), 127])}
)
_PINYIN_TERM = re.compile(r"[a-z0-9]+")
_PINYIN_NOISE = re.compile(r"[\s']+")
# Every printable ASCII character that is not a letter or digit: a token character for FTS5's ascii
# tokenizer (non-ASCII characters are token characters already), so that only SEP separates tokens.
_TOKENCHARS = "".join(c for c in map(chr, range(32, 127)) if not c.isalnum()) + REGION_MARK


def search_fields(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(getattr(model, "search_fields", ()) or ())


def search_region(model: type[models.Model]) -> str | None:
    """The column of the foreign key whose region codes ``model``'s index carries as tokens, if it
    declares one (``search_region = "region"``: a key to a model whose codes start with their path,
    ``key_starts_with``), so that a search within a region range asks the index for both at once.

    SQLite only. On PostgreSQL the tokens made a county's searches 2.5-3.5 times faster but the index
    34.1 % of the database, over the third issue 13 allows (bench/README.md, "Region tokens"): not
    carried until the index has room."""
    name = getattr(model, "search_region", None)
    if not name or connection.vendor != "sqlite":
        return None
    return model._meta.get_field(name).column


def region_tokens(code) -> list[str]:
    """The region tokens of a row whose region code is ``code`` (none without one)."""
    if not code:
        return []
    code = str(code)
    return [REGION_MARK + code[:n] for n in REGION_LEVELS if n <= len(code)]


def normalise(text: str) -> str:
    """ASCII lower case, control characters removed (SEP and the FTS5 syntax never reach a token)."""
    return text.translate(_NORMAL)


# --- tokens -----------------------------------------------------------------------------------------


def words(values: Iterable) -> list[str]:
    """The words tokens of one object (see the module docstring), in order."""
    out: list[str] = []
    for value in values:
        if value is None:
            continue
        text = normalise(str(value))
        if text:
            out += map(str.__add__, text, text[1:])
            out.append(text[-1])
    return out


@lru_cache(maxsize=65536)
def _readings(char: str) -> tuple[str, ...]:
    """All toneless readings of one character: its own letter or digit for ASCII, ``()`` for what has
    none (punctuation)."""
    if char.isascii():
        return (char.lower(),) if char.isalnum() else ()
    from pypinyin import Style, pinyin

    result = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    return tuple(dict.fromkeys(r for r in result[0] if r.isascii() and r.isalpha())) if result else ()


@lru_cache(maxsize=262144)
def _char_tokens(number: int, position: int, char: str, previous: str | None, initials: bool) -> str | None:
    """The pinyin tokens of one character of value ``number`` at ``position``, joined by SEP (``None``
    when it has no reading): "position, syllable" for every reading, "position, first letter" (with
    ``initials``), and with the character before it (``previous``, the last one that had a reading)
    the pair of their first letters at the previous position ("00-jh"): an initials term reads one
    short list per two letters instead of two long ones (00j holds one enterprise in ten). One cached
    look-up per character; no token repeats within a value, so a value's tokens are these joined."""
    readings = _readings(char)
    if not readings:
        return None
    where = f"{number}{position:x}"
    tokens = [where + r for r in readings]
    if initials:
        tokens += [where + r[0] for r in readings]
    if previous is not None:
        pair = f"{number}{position - 1:x}-"
        tokens += [pair + a[0] + b[0] for a in _readings(previous) for b in readings]
    return SEP.join(dict.fromkeys(tokens))


def pinyin_text(*values, initials: bool = True) -> str:
    """The pinyin tokens of one object (see the module docstring), joined by SEP as FTS5 reads them
    (SQLite function ``chainboard_search_pinyin``). Values in plain ASCII have none: their pinyin would
    be themselves, which the words already find anywhere in the value. Without ``initials``
    (PostgreSQL), no "position, first letter" token: a query asks for the position's syllables by
    prefix instead."""
    out: list[str] = []
    for number, value in enumerate(values):
        if value is None:
            continue
        text = str(value)
        if text.isascii():
            continue
        position, previous = 0, None
        for char in text:
            tokens = _char_tokens(number, position, char, previous, initials)
            if tokens is not None:
                out.append(tokens)
                previous = char
                position += 1
                if position == PINYIN_POSITIONS:
                    break
    return SEP.join(out)


def pinyin_tokens(values: Iterable, *, initials: bool = True) -> set[str]:
    """The pinyin tokens of one object as a set (:func:`pinyin_text`)."""
    text = pinyin_text(*values, initials=initials)
    return set(text.split(SEP)) if text else set()


def words_text(*values) -> str:
    """The words tokens as FTS5 reads them (SQLite function ``chainboard_search_words``)."""
    return SEP.join(words(values))


def _with_region(text: str, region) -> str:
    tokens = region_tokens(region)
    if not tokens:
        return text
    return SEP.join([text, *tokens]) if text else SEP.join(tokens)


def words_text_at(region, *values) -> str:
    """The words tokens, then the region tokens of ``region`` (SQLite ``chainboard_search_words_at``)."""
    return _with_region(SEP.join(words(values)), region)


def pinyin_text_at(region, *values) -> str:
    """The pinyin tokens, then the region tokens of ``region`` (SQLite ``chainboard_search_pinyin_at``)."""
    return _with_region(pinyin_text(*values), region)


def register_functions(dbapi_connection) -> None:
    """Make the token functions the triggers call known to one SQLite connection. SQLite refuses to
    (re)define a function while a statement is active, which an FTS5 table written in the open
    transaction keeps (two indexes filled in one migration): see :func:`_ensure_functions`."""
    dbapi_connection.create_function("chainboard_search_words", -1, words_text, deterministic=True)
    dbapi_connection.create_function("chainboard_search_pinyin", -1, pinyin_text, deterministic=True)
    dbapi_connection.create_function("chainboard_search_words_at", -1, words_text_at, deterministic=True)
    dbapi_connection.create_function("chainboard_search_pinyin_at", -1, pinyin_text_at, deterministic=True)


def _ensure_functions(conn) -> None:
    """SQLite: register the token functions on a Django connection that lacks them (chainboard.apps
    registers them on every connection it opens; a migration may run on one opened otherwise)."""
    import sqlite3

    try:
        conn.connection.execute("SELECT chainboard_search_words_at(NULL, '')").fetchall()
    except sqlite3.OperationalError:
        register_functions(conn.connection)


# --- the index's tables -----------------------------------------------------------------------------


def _names(table: str) -> dict[str, str]:
    return {
        "words": f"{table}_search_words",  # SQLite
        "pinyin": f"{table}_search_pinyin",  # SQLite
        "docs": f"{table}_search",  # PostgreSQL
    }


def _fts_options() -> str:
    inner = "ascii tokenchars '" + _TOKENCHARS.replace("'", "''") + "'"
    return 'tokenize="' + inner.replace('"', '""') + "\", content='', columnsize=0"


def _sqlite_functions(region: str | None) -> tuple[str, str]:
    """SQLite: the token functions for the words and the pinyin (with ``region``, those that take the
    region code first and add its tokens)."""
    if region:
        return "chainboard_search_words_at", "chainboard_search_pinyin_at"
    return "chainboard_search_words", "chainboard_search_pinyin"


def install_sql(vendor: str, table: str, pk: str, columns: list[str], region: str | None = None) -> list[str]:
    """The statements that create the index of ``table`` (and its triggers); ``region`` (SQLite): the
    column whose region codes the index carries as tokens (:func:`search_region`)."""
    qn = _quote
    n = _names(table)
    if vendor == "sqlite":
        arguments = [region, *columns] if region else columns
        new = ", ".join(f"new.{qn(c)}" for c in arguments)
        old = ", ".join(f"old.{qn(c)}" for c in arguments)
        w, p = qn(n["words"]), qn(n["pinyin"])
        words_fn, pinyin_fn = _sqlite_functions(region)
        add = (
            f"INSERT INTO {w}(rowid, words) VALUES (new.{qn(pk)}, {words_fn}({new}));"
            f" INSERT INTO {p}(rowid, pinyin) VALUES (new.{qn(pk)}, {pinyin_fn}({new}));"
        )
        drop = (
            f"INSERT INTO {w}({w}, rowid, words)"
            f" VALUES ('delete', old.{qn(pk)}, {words_fn}({old}));"
            f" INSERT INTO {p}({p}, rowid, pinyin)"
            f" VALUES ('delete', old.{qn(pk)}, {pinyin_fn}({old}));"
        )
        changed = " OR ".join(f"old.{qn(c)} IS NOT new.{qn(c)}" for c in [pk, *arguments])
        return [
            # prefix='1': a 1-character term reads one list instead of merging every bigram it starts.
            f"CREATE VIRTUAL TABLE {w} USING fts5(words, {_fts_options()}, detail=full, prefix='1')",
            f"CREATE VIRTUAL TABLE {p} USING fts5(pinyin, {_fts_options()}, detail=none)",
            f"CREATE TRIGGER {qn(table + '_search_insert')} AFTER INSERT ON {qn(table)} BEGIN {add} END",
            f"CREATE TRIGGER {qn(table + '_search_delete')} AFTER DELETE ON {qn(table)} BEGIN {drop} END",
            f"CREATE TRIGGER {qn(table + '_search_update')} AFTER UPDATE ON {qn(table)}"
            f" WHEN {changed} BEGIN {drop} {add} END",
        ]
    docs = qn(n["docs"])
    forget = qn(table + "_search_forget")
    return [
        *_pg_functions(),
        _docs_table_sql(n["docs"]),
        *_gin_indexes(table),
        f"CREATE FUNCTION {forget}() RETURNS trigger LANGUAGE plpgsql AS $$"
        f" BEGIN DELETE FROM {docs} WHERE object_id = OLD.{qn(pk)}; RETURN OLD; END $$",
        f"CREATE TRIGGER {forget} AFTER DELETE ON {qn(table)} FOR EACH ROW EXECUTE FUNCTION {forget}()",
    ]


def _docs_table_sql(name: str, key: str | None = None) -> str:
    """PostgreSQL: the table of one index's entries (``key``: the primary key's name, else the default)."""
    constraint = f"CONSTRAINT {_quote(key)} " if key else ""
    return (
        f'CREATE TABLE {_quote(name)} ("object_id" bigint {constraint}PRIMARY KEY,'
        ' "words" text NOT NULL, "pinyin" text NOT NULL)'
    )


# PostgreSQL keeps no tsvector: the table holds the normalised values (words) and the pinyin tokens as
# plain text, and each GIN index is over a function of its column that makes the tsvector with built-in
# C functions only (a function with a subquery or a loop costs 60-500 µs a row; these 5-50 µs). The
# words: the text (the values joined by SEP) cut into pairs by a regular expression twice, from its first
# character and from its second, so that every two adjacent characters are one pair in one of the two
# passes: each value's bigrams, and where a value meets SEP a pair holding SEP ("司\x1f", "\x1f越").
# No query asks for a token with SEP in it (normalise() removes it from every term), and a 1-character
# term's prefix query ('司':*) finds a value's last character through its pair with the SEP after it,
# or alone at the text's end: the same answers as a token per value's last character. '..?' matches
# 4-5 times faster than '[^\x1f]{1,2}', which kept the pairs within the values (at a million
# enterprises the words GIN index built in 20 s instead of 35: bench/README.md, "Index size and build
# rate"; migration chainboard 0022 rebuilds the indexes made by the former function). The pinyin: the
# tokens as Python wrote them, separated by SEP.
PG_WORDS = "chainboard_search_words"
PG_PINYIN = "chainboard_search_pinyin"


def _pg_functions() -> list[str]:
    pairs = r"regexp_replace({}, '..?', '\&' || chr(30), 'g')"
    words = (
        "array_to_tsvector(array_remove(string_to_array("
        + pairs.format("t")
        + " || "
        + pairs.format("substr(t, 2)")
        + ", chr(30)), ''))"
    )
    pinyin = "array_to_tsvector(array_remove(string_to_array(t, chr(31)), ''))"
    return [
        f"CREATE OR REPLACE FUNCTION {name}(t text) RETURNS tsvector LANGUAGE sql IMMUTABLE STRICT"
        f" PARALLEL SAFE AS $$ SELECT {body} $$"
        for name, body in ((PG_WORDS, words), (PG_PINYIN, pinyin))
    ]


def _pg_tokens(which: str) -> str:
    """PostgreSQL: the tsvector expression one GIN index is built over and every query on it asks
    (``which``: "words" or "pinyin")."""
    function = PG_WORDS if which == "words" else PG_PINYIN
    return f'{function}("{which}")'


def _gin_indexes(table: str, docs: str | None = None) -> list[str]:
    docs = docs or _names(table)["docs"]
    return [
        f"CREATE INDEX {_quote(docs + '_' + column)} ON {_quote(docs)} USING gin ({_pg_tokens(column)})"
        for column in ("words", "pinyin")
    ]


def uninstall_sql(vendor: str, table: str) -> list[str]:
    qn, n = _quote, _names(table)
    if vendor == "sqlite":
        return [
            *(
                f"DROP TRIGGER IF EXISTS {qn(table + s)}"
                for s in ("_search_insert", "_search_delete", "_search_update")
            ),
            f"DROP TABLE IF EXISTS {qn(n['words'])}",
            f"DROP TABLE IF EXISTS {qn(n['pinyin'])}",
        ]
    return [
        f"DROP TABLE IF EXISTS {qn(n['docs'])}",
        f"DROP TRIGGER IF EXISTS {qn(table + '_search_forget')} ON {qn(table)}",
        f"DROP FUNCTION IF EXISTS {qn(table + '_search_forget')}()",
        # The token functions are shared by every model's index: dropped with the last index that uses
        # them (while another's GIN index depends on one, PostgreSQL refuses and the block lets it be).
        *(
            f"DO $$ BEGIN DROP FUNCTION IF EXISTS {name}(text);"
            " EXCEPTION WHEN dependent_objects_still_exist THEN NULL; END $$"
            for name in (PG_WORDS, PG_PINYIN)
        ),
    ]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def install(table: str, pk: str, columns: list[str]):
    """Migration operations that create the index of ``table`` and fill it from the rows already there:
    ``operations = [*search.install("enterprises_enterprise", "id", ["name", "short_name", "uscc"])]``.
    (:func:`carry_region` adds region tokens to an index.)
    """
    from django.db import migrations

    def forwards(apps, schema_editor):
        conn = schema_editor.connection
        with conn.cursor() as cursor:
            if conn.vendor == "sqlite":
                _ensure_functions(conn)
            for sql in install_sql(conn.vendor, table, pk, columns):
                cursor.execute(sql)
        _fill(conn, table, pk, columns)

    def backwards(apps, schema_editor):
        conn = schema_editor.connection
        with conn.cursor() as cursor:
            for sql in uninstall_sql(conn.vendor, table):
                cursor.execute(sql)

    return [migrations.RunPython(forwards, backwards)]


def carry_region(table: str, pk: str, columns: list[str], region: str):
    """Migration operations that rebuild the index of ``table`` with the region tokens of its column
    ``region`` (and back without them): the model declares ``search_region`` in the same release.
    Nothing on PostgreSQL, whose index carries none (:func:`search_region`)."""
    from django.db import migrations

    def rebuilt(with_region: str | None):
        def run(apps, schema_editor):
            conn = schema_editor.connection
            if conn.vendor != "sqlite":
                return
            _ensure_functions(conn)
            with conn.cursor() as cursor:
                for sql in [
                    *uninstall_sql("sqlite", table),
                    *install_sql("sqlite", table, pk, columns, with_region),
                ]:
                    cursor.execute(sql)
            _fill(conn, table, pk, columns, with_region)

        return run

    return [migrations.RunPython(rebuilt(region), rebuilt(None))]


def _columns(model: type[models.Model]) -> list[str]:
    return [model._meta.get_field(name).column for name in search_fields(model)]


def _fill(conn, table: str, pk: str, columns: list[str], region: str | None = None) -> int:
    """Index every row of ``table`` afresh; returns their number."""
    qn, n = _quote, _names(table)
    cols = ", ".join(qn(c) for c in ([region, *columns] if region else columns))
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            w, p = qn(n["words"]), qn(n["pinyin"])
            words_fn, pinyin_fn = _sqlite_functions(region)
            cursor.execute(f"INSERT INTO {w}({w}) VALUES ('delete-all')")
            cursor.execute(f"INSERT INTO {p}({p}) VALUES ('delete-all')")
            cursor.execute(
                f"INSERT INTO {w}(rowid, words) SELECT {qn(pk)}, {words_fn}({cols}) FROM {qn(table)}"
            )
            cursor.execute(
                f"INSERT INTO {p}(rowid, pinyin) SELECT {qn(pk)}, {pinyin_fn}({cols}) FROM {qn(table)}"
            )
            count = cursor.rowcount
            # One b-tree per table instead of the dozen segments a fill leaves (see merge_segments).
            cursor.execute(f"INSERT INTO {w}({w}) VALUES ('optimize')")
            cursor.execute(f"INSERT INTO {p}({p}) VALUES ('optimize')")
            return count
        # Without its GIN indexes while it fills, then each index built in one go: most of the time at
        # 200,000 enterprises (bench/README.md), the server cutting every value into its bigrams.
        cursor.execute(f"TRUNCATE {qn(n['docs'])}")
        for column in ("words", "pinyin"):
            cursor.execute(f"DROP INDEX IF EXISTS {qn(n['docs'] + '_' + column)}")
    count = _copy_rows(conn, table, pk, columns)
    with conn.cursor() as cursor:
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'")
        for sql in _gin_indexes(table):
            cursor.execute(sql)
        # Statistics for the planner at once: without them a freshly filled table of a million entries
        # is planned as an empty one (the box at 1,000,000 problems: 2.8 s before ANALYZE).
        cursor.execute(f"ANALYZE {qn(n['docs'])}")
    return count


def _copy_rows(conn, table: str, pk: str, columns: list[str], docs: str | None = None) -> int:
    """Rows in primary-key chunks (a range each, no open cursor); each chunk's documents by COPY into
    ``docs`` (by default the index's own entry table)."""
    qn = _quote
    cols = ", ".join(qn(c) for c in columns)
    count, last = 0, None
    while True:
        with conn.cursor() as cursor:
            where = "" if last is None else f"WHERE {qn(pk)} > %s"
            cursor.execute(
                f"SELECT {qn(pk)}, {cols} FROM {qn(table)} {where} ORDER BY {qn(pk)} LIMIT {BATCH * 10:d}",
                [] if last is None else [last],
            )
            chunk = cursor.fetchall()
        if not chunk:
            return count
        _copy(conn, table, ((row[0], row[1:]) for row in chunk), docs=docs)
        count += len(chunk)
        last = chunk[-1][0]


def _ts_quote(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def _documents(values) -> str:
    """One object's PostgreSQL entry but its id, as a line of COPY's text format: its normalised values,
    a tab, and its pinyin tokens without the initials (a query asks for an initial as a prefix of the
    position's syllables). normalise() leaves no control character (tab, newline and carriage return
    among them) and the pinyin tokens are letters, digits and "-", so a backslash in a value is all
    there is to escape."""
    values = list(values)
    words = SEP.join("" if value is None else normalise(str(value)) for value in values)
    return words.replace("\\", "\\\\") + "\t" + pinyin_text(*values, initials=False)


def _copy(conn, table: str, rows: Iterable[tuple[int, tuple]], docs: str | None = None) -> None:
    """The entries of ``rows`` by COPY, written as text lines (psycopg's per-row adaptation was a tenth
    of a rebuild's Python time)."""
    docs = _quote(docs or _names(table)["docs"])
    with conn.cursor() as cursor:
        with cursor.cursor.copy(f'COPY {docs} ("object_id", "words", "pinyin") FROM STDIN') as stream:
            lines = []
            for pk, values in rows:
                lines.append(f"{pk:d}\t{_documents(values)}\n")
                if len(lines) == BATCH:
                    stream.write("".join(lines))
                    lines = []
            if lines:
                stream.write("".join(lines))


# --- writing ----------------------------------------------------------------------------------------

_deferred: ContextVar[dict | None] = ContextVar("chainboard_search_deferred", default=None)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Collect the re-indexing of a bulk operation and write it at the end (PostgreSQL; on SQLite the
    triggers index each row as it is written). Use inside the operation's transaction."""
    if _deferred.get() is not None:  # nested: the outer block writes
        yield
        return
    pending: dict = {}
    token = _deferred.set(pending)
    try:
        yield
    finally:
        _deferred.reset(token)
    by_model: dict = {}
    for (model, _pk), instance in pending.items():
        by_model.setdefault(model, []).append(instance)
    for model, instances in by_model.items():
        index_many(model, instances, fresh=False)


def _writes(model: type[models.Model]) -> bool:
    """Does the write path index this model here? (SQLite's triggers need no help.)"""
    return bool(search_fields(model)) and connection.vendor != "sqlite" and is_indexed(model)


def reindex(instance: models.Model) -> None:
    """Make the index of ``instance`` match its current values (call inside the write's transaction)."""
    model = type(instance)
    if instance.pk is None or not _writes(model):
        return
    pending = _deferred.get()
    if pending is not None:
        pending[(model, instance.pk)] = instance
        return
    index_many(model, [instance], fresh=False)


def index_many(model: type[models.Model], instances: list[models.Model], *, fresh: bool) -> None:
    """Index many rows at once (an import, inside its transaction): ``fresh`` rows have no entry yet."""
    if not instances or not _writes(model):
        return
    table, fields = model._meta.db_table, search_fields(model)
    if not fresh:
        docs = _quote(_names(table)["docs"])
        with connection.cursor() as cursor:
            for start in range(0, len(instances), BATCH):
                pks = [o.pk for o in instances[start : start + BATCH]]
                cursor.execute(f"DELETE FROM {docs} WHERE object_id = ANY(%s)", [pks])
    _copy(connection, table, ((o.pk, [getattr(o, name) for name in fields]) for o in instances))


def remove(instance: models.Model) -> None:
    """Forget a deleted object. Nothing to do: a trigger on its table deletes its entry with the row
    (on both databases, cascades included); kept so that callers need not know."""
    pending = _deferred.get()
    if pending is not None:
        pending.pop((type(instance), instance.pk), None)


def rebuild(model: type[models.Model]) -> int:
    """Index every row of ``model`` afresh (rows loaded around the write path, a changed tokenizer);
    returns the number of rows. On PostgreSQL outside a transaction (the ``rebuild_search`` command)
    the new index is built beside the old one and its two GIN indexes at once (:func:`_rebuild_beside`);
    inside one (a migration, a test) in that transaction."""
    if not search_fields(model):
        raise ValueError(f"{model._meta.label} declares no search_fields")
    from django.db import transaction

    table, pk, columns = model._meta.db_table, model._meta.pk.column, _columns(model)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        return _rebuild_beside(table, pk, columns)
    with transaction.atomic():
        return _fill(connection, table, pk, columns, search_region(model))


def _rebuild_beside(table: str, pk: str, columns: list[str]) -> int:
    """PostgreSQL: fill a new entry table beside the live one, build its two GIN indexes in two sessions
    at once, then put it in the live one's place. PostgreSQL 15 builds one GIN index on one core, and
    the words and pinyin indexes are two thirds of a rebuild's time (bench/README.md, "Index size and
    build rate"); building them side by side needs the filled table committed, which one transaction
    cannot give. So this session holds a SHARE lock on the model's table from start to swap (writers
    wait, readers and searches go on against the old entries), the other sessions (threads, each with
    its own connection) fill the new table and build one index each, committing, and this session
    swaps the tables in its transaction. Whatever fails, the new table is dropped and the old index
    stays as it was."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import transaction

    qn, docs = _quote, _names(table)["docs"]
    fresh = docs + "_rebuilt"
    fresh_key = "chainboard_search_rebuilt_pkey"

    def in_own_session(work, *args):
        try:
            with transaction.atomic():
                return work(*args)
        finally:
            connection.close()  # the thread's own connection

    def fill() -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {qn(fresh)}")
            cursor.execute(_docs_table_sql(fresh, key=fresh_key))
        return _copy_rows(connection, table, pk, columns, docs=fresh)

    def build(sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'")
            cursor.execute(sql)

    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {qn(table)} IN SHARE MODE")
            with ThreadPoolExecutor(max_workers=2) as pool:
                count = pool.submit(in_own_session, fill).result()
                for done in [pool.submit(in_own_session, build, sql) for sql in _gin_indexes(table, fresh)]:
                    done.result()
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {qn(fresh)}")
                # The names the live table's indexes have (PostgreSQL shortens a long one its own way).
                cursor.execute(
                    "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'",
                    [qn(docs)],
                )
                (primary,) = cursor.fetchone()
                cursor.execute(f"DROP TABLE {qn(docs)}")
                cursor.execute(f"ALTER TABLE {qn(fresh)} RENAME TO {qn(docs)}")
                cursor.execute(f"ALTER TABLE {qn(docs)} RENAME CONSTRAINT {qn(fresh_key)} TO {qn(primary)}")
                for column in ("words", "pinyin"):
                    cursor.execute(
                        f"ALTER INDEX {qn(fresh + '_' + column)} RENAME TO {qn(docs + '_' + column)}"
                    )
        return count
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {qn(fresh)}")


MERGE_PAGES = 500  # pages written per step of merge_segments: about 0.2 s at a million enterprises


def merge_segments(model: type[models.Model] | None = None) -> dict[str, int]:
    """SQLite: merge each FTS5 table of ``model``'s index (default: every searchable model's) into one
    b-tree, in steps of about ``MERGE_PAGES`` pages, each its own transaction, so a writer waits at most
    one step (0.2 s at a million enterprises), never the whole merge (2.5 s a table). Returns the
    number of steps per table that did work (0: already one b-tree).

    Every write adds a small b-tree (a segment) to an FTS5 index, and FTS5's own automerge keeps only
    their number in check, not at one: a fill leaves a dozen and a day of a thousand writes twenty. A
    probe of one entry (a walked page, a row of a small table found through its key) seeks in each
    segment: at a million enterprises 有限's probe took 112 µs over 13 segments and 15 µs over one,
    pinyin initials' 276 µs and 62 (bench/README.md, "FTS5 segments"). The fill ends merged
    (``optimize``), and the scheduler runs this each night (``search-merge``, chainboard/apps.py).

    FTS5's ``merge`` with a negative page count first moves every segment to one level, then merges
    that level a step at a time; a step that did nothing changes fewer than two rows
    (``total_changes``), which is how the loop knows it is done. PostgreSQL keeps one GIN index per
    column and merges its pending entries itself (autovacuum): nothing to do there."""
    from django.db import transaction

    if connection.vendor != "sqlite":
        return {}
    chosen = [model] if model is not None else searchable_models()
    steps: dict[str, int] = {}
    for m in chosen:
        for which in ("words", "pinyin"):
            name = _names(m._meta.db_table)[which]
            table = _quote(name)
            done = 0
            while True:
                with transaction.atomic():  # opens the connection
                    before = connection.connection.total_changes
                    with connection.cursor() as cursor:
                        cursor.execute(
                            f"INSERT INTO {table}({table}, rank) VALUES ('merge', %s)", [-MERGE_PAGES]
                        )
                    worked = connection.connection.total_changes - before >= 2
                if not worked:
                    break
                done += 1
            steps[name] = done
    return steps


def segment_count(model: type[models.Model], which: str = "words") -> int | None:
    """SQLite: how many segments (b-trees) the FTS5 table of ``model``'s index holds; None elsewhere."""
    if connection.vendor != "sqlite":
        return None
    table = _quote(_names(model._meta.db_table)[which] + "_idx")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(DISTINCT segid) FROM {table}")
        return cursor.fetchone()[0]


def searchable_models() -> list[type[models.Model]]:
    from django.apps import apps

    return [m for m in apps.get_models() if search_fields(m)]


_installed: set[tuple[str, str]] = set()


def is_indexed(model: type[models.Model]) -> bool:
    """Does ``model`` opt in and has its index been installed (so that the index answers its searches)?"""
    if not search_fields(model):
        return False
    key = (str(connection.settings_dict["NAME"]), model._meta.db_table)
    if key in _installed:
        return True
    names = _names(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT 1 FROM sqlite_master WHERE name = %s", [names["words"]])
            found = cursor.fetchone() is not None
        else:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [_quote(names["docs"])])
            found = bool(cursor.fetchone()[0])
    if found:
        _installed.add(key)
    return found


# --- reading ----------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    """Every toneless syllable pypinyin reads a character as (ü written v, as its NORMAL style does)."""
    from pypinyin.pinyin_dict import pinyin_dict

    found = set()
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            # ü with a tone mark (lǜ, nǚ) is one character: decomposed first, its diaeresis then read as v.
            plain = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
            plain = "".join(c for c in plain if not unicodedata.combining(c))
            if plain.isascii() and plain.isalpha():
                found.add(plain)
    return frozenset(found)


@lru_cache(maxsize=1)
def _syllable_starts() -> frozenset[str]:
    return frozenset(s[:i] for s in _syllables() for i in range(1, len(s) + 1))


def _readings_of(spelled: str) -> list[list[tuple[str, bool]]]:
    """The ways ``spelled`` may read, character by character: a list of (syllable or letter, is a
    prefix) per way. First the initials (one letter or digit a character), then up to ``SEGMENTATIONS``
    splits into whole syllables (a digit is its own), the last of which may be cut short. Each way is
    cut at ``PINYIN_POSITIONS`` characters, as the index is."""
    syllables, starts = _syllables(), _syllable_starts()
    ways: list[tuple[tuple[str, bool], ...]] = [tuple((c, False) for c in spelled[:PINYIN_POSITIONS])]
    budget = [500]  # steps: a term that splits many ways stops being explored, not the request

    def split(start: int, done: tuple[tuple[str, bool], ...]) -> None:
        budget[0] -= 1
        if len(ways) > SEGMENTATIONS or budget[0] < 0:
            return
        if start == len(spelled) or len(done) == PINYIN_POSITIONS:
            if done not in ways:
                ways.append(done)
            return
        rest = spelled[start:]
        if rest[0].isdigit():
            split(start + 1, (*done, (rest[0], False)))
            return
        if rest in starts:  # the last syllable, perhaps cut short (one letter: its initial)
            way = (*done, (rest, len(rest) > 1))
            if way not in ways:
                ways.append(way)
        for end in range(len(spelled) - 1, start, -1):  # the longest syllable first
            if spelled[start:end] in syllables:
                split(end, (*done, (spelled[start:end], False)))

    split(0, ())
    return [list(way) for way in ways]


def _way_tokens(value: int, way: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """The tokens (and whether each is a prefix) that one way of reading a term asks of one value: two
    initials in a row as their pair token, an initial left alone after another piece as its pair with
    that piece's first letter, anything else as its position's token.

    A lone initial after another piece asks the same as its pair: the pair token holds the first letters
    of a reading of each character, and the way asks the piece before for itself. As its own token it is
    a prefix of its position's syllables on PostgreSQL ("06g":*), whose GIN index gathers every entry of
    every such syllable before anything else (a name's seventh character read with g: 191,000 of a
    million, 公司 among them): gaoping's odd initials way made its matches cost 171 ms, 36 as pairs
    (bench/README.md, "A lone initial as a pair")."""
    tokens: list[tuple[str, bool]] = []
    position = 0
    while position < len(way):
        piece, prefix = way[position]
        if position + 1 < len(way) and _is_initial(way[position]) and _is_initial(way[position + 1]):
            tokens.append((f"{value}{position:x}-{piece}{way[position + 1][0]}", False))
            position += 2
            continue
        if position > 0 and _is_initial(way[position]):
            tokens.append((f"{value}{position - 1:x}-{way[position - 1][0][0]}{piece}", False))
        else:
            tokens.append((f"{value}{position:x}{piece}", prefix))
        position += 1
    return tokens


# A syllable cut short (the last of a term, "01xian") that begins at most this many syllables is asked as
# their OR ('01xian' | '01xiang'), not as a prefix ('01xian':*, "01xian"*): PostgreSQL's GIN index
# gathers every entry of a prefix into a bitmap before it intersects anything, FTS5 merges every
# prefixed token's list, where an OR of a few tokens is read alongside the way's other tokens. At a
# million enterprises, PostgreSQL: youxian 43 → 20 ms, fangzhi 28 → 4, jincheng 81 → 48; SQLite:
# youxian 24.8 → 4.5, jincheng 26.6 → 4.4 (bench/README.md, "A lone initial as a pair"). On PostgreSQL
# a shorter piece, which begins many (ch: 19), stays a prefix: its OR cost more there (jinch 90 → 125 ms
# as 19 syllables), where SQLite gained (91 → 13); SQLite asks every piece as its syllables (zh, the
# most: 20).
EXPLICIT_PREFIX = 4
SQLITE_EXPLICIT_PREFIX = 20


def _pinyin_token(token: str, prefix: bool) -> str:
    """One pinyin token of a way as the database's query asks it: a syllable cut short as the OR of the
    few syllables it begins (``EXPLICIT_PREFIX``) or as a prefix; on PostgreSQL a lone initial as a
    prefix of its position's syllables ("01b:*": 01bai, 01bo…; no initials token is stored there);
    anything else itself."""
    sqlite = connection.vendor == "sqlite"
    quote, either, prefixed = (_fts_quote, " OR ", "*") if sqlite else (_ts_quote, " | ", ":*")
    if not prefix:
        return quote(token) + (prefixed if not sqlite and _lone_initial(token) else "")
    where, piece = token[:2], token[2:]  # "{value}{position:x}", then the letters
    begun = _begun(piece)
    if 0 < len(begun) <= (SQLITE_EXPLICIT_PREFIX if sqlite else EXPLICIT_PREFIX):
        return "(" + either.join(quote(where + s) for s in begun) + ")"
    return quote(token) + prefixed


@lru_cache(maxsize=4096)
def _begun(piece: str) -> tuple[str, ...]:
    """The syllables that begin with ``piece``, in order."""
    return tuple(sorted(s for s in _syllables() if s.startswith(piece)))


def _lone_initial(token: str) -> bool:
    """Is this pinyin query token "value, position, one letter or digit" (not a pair, not a syllable)?"""
    return len(token) == 3 and token[2] != "-"


def _is_initial(segment: tuple[str, bool]) -> bool:
    return len(segment[0]) == 1 and not segment[1]


# _Query.parts, per (model, term, region, database vendor): what the term's words and pinyin make of it
# depends on nothing else. Bounded: cleared when it grows past this many entries.
_PARTS: dict[tuple, tuple[tuple[str, str], ...]] = {}
PARTS_KEPT = 1024


class _Query:
    """What a term asks of the index: a condition on the words tokens (or None) and one on the pinyin
    tokens (or None), each written for the database at hand."""

    def __init__(self, model: type[models.Model], text: str):
        self.model = model
        term = normalise(text.strip())
        self.term = term
        self.words = self.pinyin = None
        # A region code prefix the query holds its rows to, when the index carries region tokens (set by
        # Matches for the query it compiles in, :func:`_within`): its token is asked with every part, so
        # the index reads the term's entries within the region.
        self.within: str | None = None
        if len(term) == 1:
            self.words = ("prefix", [term])
        elif len(term) == 2:
            self.words = ("token", [term])
        elif term:
            self.words = ("phrase", [term[i : i + 2] for i in range(len(term) - 1)])
        spelled = _PINYIN_NOISE.sub("", term)
        if spelled and _PINYIN_TERM.fullmatch(spelled):
            values = range(len(search_fields(model)))
            self.pinyin = [_way_tokens(value, way) for way in _readings_of(spelled) for value in values]

    def parts(self) -> list[tuple[str, str]]:
        """(which tokens, the condition as the database writes it) per kind of token the term asks.
        Kept per model, term, region and database (``_PARTS``): a query is compiled several times per
        request (its count, its first hits, its page), each compile building a ``_Query``, and a pinyin
        term's parts are hundreds of tokens (gaoping: 2,190 per search box, 10 of its 46 ms on SQLite)."""
        key = (self.model, self.term, self.within, connection.vendor)
        found = _PARTS.get(key)
        if found is None:
            found = tuple(self._parts())
            if len(_PARTS) >= PARTS_KEPT:
                _PARTS.clear()
            _PARTS[key] = found
        return list(found)

    def _parts(self) -> list[tuple[str, str]]:
        out = []
        sqlite = connection.vendor == "sqlite"
        within = REGION_MARK + self.within if self.within else None
        if self.words is not None:
            how, tokens = self.words
            if sqlite:
                quoted = [_fts_quote(t) for t in tokens]
                text = {"prefix": quoted[0] + "*", "token": quoted[0], "phrase": " + ".join(quoted)}[how]
                if within:
                    text = f"({text}) AND {_fts_quote(within)}"
            else:  # no positions: a phrase is the AND of its bigrams, confirmed on the text (source())
                quoted = [_ts_quote(t) for t in tokens]
                text = {"prefix": quoted[0] + ":*", "token": quoted[0], "phrase": " & ".join(quoted)}[how]
            out.append(("words", text))
        if self.pinyin:
            if sqlite:
                # One part per way and value: FTS5 answers an AND of tokens fast, but an OR of such ANDs
                # several times slower than the ANDs one by one (7.3 against 3.4 ms for zlfs at 200,000).
                for way in self.pinyin:
                    asked = [_pinyin_token(t, p) for t, p in way]
                    out.append(("pinyin", " AND ".join(asked + ([_fts_quote(within)] if within else []))))
            else:  # one tsquery: the GIN index ORs its parts itself
                # No initials tokens here: a lone initial is a prefix of its position's syllables
                # ("01b:*": 01bai, 01bo…), which is what its token held.
                ways = [" & ".join(_pinyin_token(t, p) for t, p in way) for way in self.pinyin]
                out.append(("pinyin", " | ".join(f"({w})" for w in ways)))
        return out

    def source(
        self, which: str, condition: str, probe: bool = False, scan: bool = False
    ) -> tuple[str, str, list]:
        """(table, WHERE, params) selecting the matching ids of one kind of token, as ``id``. A
        ``probe`` tests one entry, found by its id; a ``scan`` of the words (PostgreSQL) is their test
        alone, read in the table's order (:meth:`scans_words`)."""
        names = _names(self.model._meta.db_table)
        if connection.vendor == "sqlite":
            table = _quote(names[which])
            return table, f"{table} MATCH %s", [condition]
        table = _quote(names["docs"])
        if which == "words" and (probe or scan):  # the words column holds the values: the substring itself
            return table, 'strpos("words", %s) > 0', [self.term]
        # The tsquery on the function is what the GIN index answers. Where the planner evaluates the
        # condition row by row instead (a semi-join walking the name index for the first rows), the
        # function would cut each row's text again (the words: ~50 µs a row); a plain ``strpos`` first,
        # which PostgreSQL evaluates before the rest of an AND as written, rejects most rows for ~1 µs.
        # For the words it is also the exact answer (the bigrams of a phrase in this order, next to
        # each other); for the pinyin a necessary one (each token of one way occurs in the text).
        if which == "words":
            check, check_params = 'strpos("words", %s) > 0', [self.term]
        else:
            check = " OR ".join(
                "(" + " AND ".join(['strpos("pinyin", %s) > 0'] * len(way)) + ")" for way in self.pinyin
            )
            check_params = [token for way in self.pinyin for token, _prefix in way]
        tokens = _pg_tokens(which)
        return table, f"(({check}) AND {tokens} @@ %s::tsquery)", [*check_params, condition]

    def counts_sql(self, limit: int, parts: list[tuple[str, str]] | None = None) -> tuple[list[str], list]:
        """Per part (default: every part of the term), a scalar subquery counting its matches up to
        ``limit``; with their params."""
        out, params = [], []
        for which, condition in self.parts() if parts is None else parts:
            source, where, where_params = self.source(which, condition)
            out.append(f"(SELECT COUNT(*) FROM (SELECT 1 FROM {source} WHERE {where} LIMIT {limit:d}) AS c)")
            params += where_params
        return out, params

    def ids_sql(self, distinct: bool = True) -> tuple[str, list]:
        """SELECT of the matching ids (possibly none); with ``distinct`` False an id matching in several
        ways comes once per way (``UNION ALL``: for an ``IN``, which needs no de-duplicated list)."""
        parts, params = [], []
        column = "rowid" if connection.vendor == "sqlite" else "object_id"
        sources = [self.source(which, condition) for which, condition in self.parts()]
        # Not one scan with the two conditions OR-ed on PostgreSQL: the OR would be evaluated again on
        # every row the GIN indexes find, cutting each row's text (source()); each SELECT alone is
        # answered by its index, its strpos check the only thing evaluated per row.
        for table, where, where_params in sources:
            parts.append(f"SELECT {column} FROM {table} WHERE {where}")
            params += where_params
        if not parts:
            return "SELECT 0 WHERE 1 = 0", []
        # An object may match in several ways: once.
        return (" UNION " if distinct else " UNION ALL ").join(parts), params

    def scans_words(self, limit: int) -> bool:
        """PostgreSQL: are the first ``limit`` matches of the words best read by scanning the index
        table in its own order, testing each entry's text (``strpos``, the exact test), rather than
        through the GIN index? A GIN index builds the bitmap of every match before any row is returned,
        ``LIMIT`` or not: 有限, in 667,000 of a million enterprises, cost 31 ms for the bitmap alone and
        47 for its first 10,001 matches, where a scan found them in the first 15,000 entries, 7 ms. A
        scan reads about ``limit`` × entries / matches entries (0.4 µs each), the bitmap costs about
        0.05 µs a match, so the scan is chosen when the planner's estimate of the matches squared
        reaches ``limit`` × entries × ``SCAN_COST`` (10,001 of a million: about 316,000 matches, a
        third of the table). Matches that cluster in the table's order (a late import of such names)
        make the scan longer than that; at worst it reads the whole table (about 0.4 s a million)."""
        if connection.vendor != "postgresql" or self.words is None or self.words[0] == "prefix":
            return False
        if not _integer_key(self.model):
            return False
        with connection.cursor() as cursor:
            entries = _size(cursor, self.model)  # one entry per row
        if entries < limit:  # few: the index answers
            return False
        floor = math.isqrt(limit * entries * SCAN_COST)
        estimate = _words_estimate(self.model, self, floor)
        return estimate is not None and estimate >= floor


def _fts_quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def matching_ids(model: type[models.Model], text: str) -> models.QuerySet:
    """A subquery of the ids of ``model`` whose ``search_fields`` match ``text``; use as ``pk__in``."""
    return model._base_manager.filter(Matches(model, text)).order_by().values("pk")


def matches(model: type[models.Model], text: str, via: Iterable[tuple[str, models.QuerySet]] = ()) -> Matches:
    """A filter condition on ``model``: the objects whose ``search_fields`` match ``text``, or (``via``)
    whose foreign key ``name`` is one of the ids a queryset of the related model selects (a problem by
    its enterprise's name: ``[("enterprise", matching_ids(Enterprise, text))]``).

    ``queryset.filter(search.matches(Model, "纺织"))``, with the plan that suits the query; see
    :class:`Matches`.
    """
    return Matches(model, text, via=tuple(via))


class Matches(Expression):
    """``id IN (matching ids)``, or, for the first rows of a long result, a probe of the index per row.

    ``IN`` reads every match before the first row is returned: right for a count, an export and any
    term that matches few objects. For a term that matches many (纺织: one enterprise in twelve), the
    first page sorted by name would sort all of them; walking the name index and probing each row's
    entry finds 25 matches after about 300 rows. So the condition is compiled as that probe when the
    query is cut (a page), the term is common (its matches, counted on the index up to that many, make
    the walk the cheaper plan: see ``PROBE_COST``) and the query's order, if any, starts with an indexed
    column; otherwise as ``IN``. Both select the same rows. The probe is a scalar subquery ``IS NOT
    NULL``, not ``EXISTS``, which PostgreSQL would turn into a hash of every match.

    ``via`` adds rows found through a foreign key (its related ids selected by a subquery): as ``fk IN
    (related ids)`` per row while walking (the related set is read once), and otherwise as one more
    branch of a single ``id IN (… UNION SELECT id FROM table WHERE fk IN (related ids))``: an OR of two
    ``IN`` subqueries is a hashed filter over every row of the table on PostgreSQL (a full scan), where
    the one ``IN`` is a semi-join whose branches each read an index.
    """

    conditional = True
    output_field = models.BooleanField()

    def __init__(self, model: type[models.Model], text: str, column=None, via=()):
        super().__init__()
        self.model, self.text, self.column = model, text, column
        self.via: tuple[tuple[str, models.QuerySet], ...] = via
        self.via_columns: list = []  # resolved: the foreign keys' columns
        self.via_queries: list = []  # resolved: the related ids' subqueries
        self.query: _Query | None = None
        self.common: bool | None = None
        self.counts: list[int] = []
        # (rows wanted, region prefix, parts the order gathers) -> _common's answer
        self.decisions: dict[tuple[int, str | None, frozenset[int]], tuple[bool, list[int]]] = {}
        # via's position -> the related index's query when its branch probes that index per row, else
        # None (_via_probed)
        self.probed_vias: dict[int, _Query | None] = {}
        # The values' columns (resolved), for a check of the words on the row itself (_row_checked).
        self.value_columns: list = []
        # The driving conditions' signature -> whether the words are checked on the rows (_row_checked)
        self.row_checks: dict[tuple, bool] = {}
        # (the driving conditions' signature, rows counted up to) -> whether they select fewer (_few_driven)
        self.few_driven: dict[tuple, bool] = {}
        # How the last compiled query walked its order (walks_order): "probes" (each row's entry probed),
        # "set" (against a set of the matches), or None (the matches read).
        self.walked: str | None = None

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.model._meta.label}, {self.text!r})"

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        if self.column is not None:
            return self
        clone = self.copy()
        clone.column = F("pk").resolve_expression(query, allow_joins, reuse, summarize)
        clone.via_columns = [
            F(name).resolve_expression(query, allow_joins, reuse, summarize) for name, _ in self.via
        ]
        clone.via_queries = [
            ids.resolve_expression(query, allow_joins, reuse, summarize) for _, ids in self.via
        ]
        clone.value_columns = [
            F(name).resolve_expression(query, allow_joins, reuse, summarize)
            for name in search_fields(self.model)
        ]
        clone.query = _Query(self.model, self.text)
        return clone

    def get_source_expressions(self):
        if self.column is None:
            return []
        return [self.column, *self.via_columns, *self.via_queries, *self.value_columns]

    def set_source_expressions(self, exprs):
        if exprs:
            n = len(self.via)
            self.column = exprs[0]
            self.via_columns, self.via_queries = list(exprs[1 : 1 + n]), list(exprs[1 + n : 1 + 2 * n])
            self.value_columns = list(exprs[1 + 2 * n :])

    def _via_sql(self, compiler) -> list[tuple[str, str, list, str, list]]:
        """Per ``via``: (the foreign key's column as the row's, its bare column, the related ids' subquery
        with its params, the key's own column params)."""
        out = []
        for (name, _ids), col, ids in zip(self.via, self.via_columns, self.via_queries, strict=True):
            column, column_params = compiler.compile(col)
            subquery, subquery_params = compiler.compile(ids)
            bare = _quote(self.model._meta.get_field(name).column)
            out.append((column, bare, [*subquery_params], subquery, list(column_params)))
        return out

    def as_sql(self, compiler, connection):
        self.walked = None
        column, column_params = compiler.compile(self.column)
        self.query.within, implied = _within(compiler.query, self.model)
        parts = self.query.parts()
        vias = self._via_sql(compiler)
        if not parts and not vias:
            return "1 = 0", []
        # The first rows of the index in no order, when nothing else narrows them (see _alone_limit).
        limit = None if vias else _alone_limit(compiler.query, self, implied)
        walk = (
            limit is None
            and not self._checked_not_walked(compiler.query, vias)
            and self._walk(compiler.query, vias)
        )
        if vias and not walk:
            # One IN over the union of the index's ids and the ids found through each key (see above).
            sql, params = self.query.ids_sql()
            table, pk = _quote(self.model._meta.db_table), _quote(self.model._meta.pk.column)
            branches = [sql] if parts else []
            for index, (_col, bare, sub_params, subquery, _cp) in enumerate(vias):
                related = self._via_probed(index)
                if related is not None:
                    # Each row's key probed in the related index: the table holds fewer rows than
                    # reading the related matches would cost (the projects of a province against the
                    # 667,000 enterprises whose names hold 有限).
                    probe_sql, probe_params = _probe(related, related.parts(), f"{table}.{bare}", [])
                    branches.append(f"SELECT {pk} FROM {table} WHERE {probe_sql}")
                    params = [*params, *probe_params]
                else:
                    branches.append(f"SELECT {pk} FROM {table} WHERE {bare} IN {subquery}")
                    params = [*params, *sub_params]
            return f"{column} IN ({' UNION '.join(branches)})", [*column_params, *params]
        if not vias and limit is None and not walk and self._walks_set(compiler.query):
            # Every part's matches in one set, read once, and the order walked against it (see above).
            # UNION ALL: a de-duplicated set cost 3-7 ms more for jc's 30,790 matches.
            sql, params = self.query.ids_sql(distinct=False)
            self.walked = "set"
            return f"+{column} IN ({sql})", [*column_params, *params]
        self.walked = "probes" if walk else None
        out, params = [], []
        for via_column, _bare, sub_params, subquery, via_column_params in vias:
            out.append(f"{via_column} IN {subquery}")
            params += [*via_column_params, *sub_params]
        probed, ids = [], []
        # The first ``limit`` matches in no order: a common term's words found by scanning the index table
        # (PostgreSQL), not by the bitmap of all of them (the box's 101 of 纺织: 19.5 → 1.5 ms).
        scan = limit is not None and self.query.scans_words(limit)
        for index, (which, condition) in enumerate(parts):
            if walk and self.counts[index] >= FEW:
                probed.append((which, condition))
                continue
            if which == "words" and not walk and self._row_checked(compiler.query):
                row_sql, row_params = self._row_check(compiler)
                out.append(row_sql)
                params += row_params
                continue
            table, where, where_params = self.query.source(which, condition, scan=scan)
            key = "rowid" if connection.vendor == "sqlite" else "object_id"
            cut = f" LIMIT {limit:d}" if limit is not None else ""
            ids.append((f"SELECT {key} FROM {table} WHERE {where}{cut}", where_params))
        if len(ids) > 1 and connection.vendor == "postgresql":
            # One IN over the union of the parts' ids (a pinyin term's words and pinyin): PostgreSQL
            # joins a single IN with the table, where an OR of two it tests row by row, each against
            # a hash of its ids, and so read every row of the table in key order for the count of a
            # term matching fewer than the count's cap (zzqqxx: 95 ms; bench/README.md, "Matches that
            # sort together").
            union = " UNION ALL ".join(f"({sql})" for sql, _p in ids)
            out.append(f"{column} IN ({union})")
            params += [*column_params, *(p for _sql, where_params in ids for p in where_params)]
        else:
            for sql, where_params in ids:
                out.append(f"{column} IN ({sql})")
                params += [*column_params, *where_params]
        if probed:
            probe_sql, probe_params = _probe(self.query, probed, column, column_params)
            out.append(probe_sql)
            params += probe_params
        return "(" + " OR ".join(out) + ")", params

    def _row_checked(self, query) -> bool:
        """PostgreSQL: is the term best tested on the rows themselves? Yes for a term that is all words
        (no pinyin part: a Chinese term) without ASCII letters, beside a condition on an indexed column
        of the table that selects at most ``ROW_CHECK_ROWS`` rows (a county's enterprises: ``region_id``
        between two codes). The database reads those rows by that index anyway; a ``strpos`` on their
        own values costs about a microsecond a row, where the index's entry of each row is a look-up in
        another table (7-13 µs a row at a million enterprises, more when it is not in shared buffers: a
        county's 有限 took 156-223 ms, its rows checked 15-25; bench/README.md, "A county's words on its
        rows"). The rows are counted up to that point, once per set of such conditions. Not on SQLite,
        whose FTS5 index carries the region's token (``search_region``); not for a term with pinyin,
        whose tokens only the index holds."""
        term = self.query.term
        if connection.vendor != "postgresql" or self.query.pinyin or not term or _ASCII_LETTER.search(term):
            return False
        driving = _driving(query)
        if not driving:
            return False
        key = _signature(driving)
        if key not in self.row_checks:
            rows = _count_driving(query, driving, ROW_CHECK_ROWS + 1)
            checked = rows <= ROW_CHECK_ROWS
            if checked and rows >= ROW_CHECK_ALWAYS:
                # A rare term is read from the index faster (潞安 in a county: 5 against 25 ms).
                floor = rows // ROW_CHECK_SHARE
                estimate = _words_estimate(self.model, self.query, floor)
                checked = estimate is None or estimate >= floor
            self.row_checks[key] = checked
        return self.row_checks[key]

    def _checked_not_walked(self, query, vias) -> bool:
        """Is the term tested on the rows themselves (:meth:`_row_checked`) even where a walk would pay?
        The database reads those rows by their index either way, and a ``strpos`` on a row's values costs
        less than a probe of its entry (a county's first 10,001 of 有限: 40 ms against 116 by probes).
        Not beside rows named by their keys (the box's window of 400): probing those few costs less than
        counting them for the check."""
        if vias or _names_rows(_driving(query)):
            return False
        return self._row_checked(query)

    def _row_check(self, compiler) -> tuple[str, list]:
        """The term (no ASCII letter: :meth:`_row_checked`) as a test of the row's own values: one of
        them, normalised as the index normalises it, holds the term, which is what the words tokens
        answer for a term of any length. Lower-casing ASCII cannot change such a match, so a plain
        ``strpos`` answers, except in a value holding a control character (which the index removes):
        only such a value is tested again without them."""
        out, params = [], []
        term = self.query.term
        for value_column in self.value_columns:
            sql, value_params = compiler.compile(value_column)
            # A missing value holds nothing: false, not NULL, so that the condition negated is true.
            value = f"COALESCE(({sql})::text, '')"
            out.append(
                f"strpos({value}, %s) > 0 OR ({value} ~ %s AND strpos(translate({value}, %s, ''), %s) > 0)"
            )
            params += [*value_params, term, *value_params, _CONTROL_CLASS, *value_params, _CONTROL, term]
        return "(" + " OR ".join(out) + ")", params

    def _via_probed(self, index: int) -> _Query | None:
        """The related index's query when the ``via`` at ``index`` is best written as a probe of that
        index per row of this table; None to read its related ids (``fk IN (related ids)``, the key's
        index probed per related match). A probe costs about ``PROBE_COST`` reads of a match, so it is
        chosen when the table holds fewer rows than the related matches over ``PROBE_COST``: always for an
        empty table, and otherwise after counting the related matches up to that point (a rare term
        stops early). Only a via that is the related model's own search (:func:`matching_ids`) can be
        probed; asked once per condition, however often it is compiled."""
        if index not in self.probed_vias:
            related = _indexed_search(self.via[index][1])
            probed = related is not None and _fewer_rows_than_matches(self.model, related)
            self.probed_vias[index] = related if probed else None
        return self.probed_vias[index]

    def _walk(self, query, vias=()) -> bool:
        if not query.is_sliced:
            return False
        order = query.order_by or (query.get_meta().ordering if query.default_ordering else ())
        if order and not _indexed_first(query.model, order[0]):
            return False
        if not vias and _names_rows(_driving(query)):
            # Rows named by their keys (the box's window of 400): a walk probes those rows at most, which
            # on PostgreSQL costs a few milliseconds (a key look-up each), less than counting the matches
            # to decide (a county's jc: its window 133 → 14 ms). On SQLite, where a probe costs 40-300
            # µs, they are tested against a set of the matches instead (_walks_set).
            if connection.vendor == "sqlite":
                return False
            self.common, self.counts = True, [FEW] * len(self.query.parts())  # every part probed
            return True
        # Asked once per number of rows, however often it is compiled: a queryset built on this one (a
        # count of 101 in no order, then a page of 8) shares the condition, not the rows it wants.
        rows = (query.high_mark or 0) or 25
        within = self.query.within  # the matches counted are those within the region, if any
        gathered = _gathered(self.query, order)
        key = (rows, within, gathered)
        if key not in self.decisions and order:
            most = partial(_most_matches, self.model, rows, len(self.query.parts()) + len(vias))
            if not _few_driven(query, self, most):
                # Beside a condition that selects more rows than the most matches that could make the
                # walk pay (a county's scope), _few_driven below would refuse the walk whatever the
                # count: the matches are not counted (5 ms for 有限 in a county of a million enterprises).
                # Not kept as the decision for this many rows: a query sharing this condition beside
                # other conditions (the box's window of rows named by key, after its kind's page in
                # order was asked) may walk.
                self.common, self.counts = False, []
                return False
        if key not in self.decisions:
            known = {
                other: answer
                for (other, where, apart), answer in self.decisions.items()
                if where == within and apart == gathered
            }
            self.decisions[key] = _common(self.model, self.query, rows, vias, known, gathered)
        self.common, self.counts = self.decisions[key]
        # With an order, beside a condition on an indexed column the walk probes every row that condition
        # selects before sorting; without one it stops at the rows it wants (the box's first 101).
        if self.common and order and not _few_driven(query, self, _spread(self.counts, gathered)):
            return False
        return self.common

    def _walks_set(self, query) -> bool:
        """SQLite: is a page in an indexed order best found by reading every match into one set and
        walking the order against it (``+id IN (… UNION ALL …)``: the ``+`` keeps SQLite from driving
        the query from the set)? Asked where the order is not walked with probes (:meth:`_walk` said no:
        the matches are too few to pay a probe per row, or the order gathers them, as the pinyin
        initials of a name), when they are many. Reading the matches into the set costs about 0.13 µs
        each and testing a walked row against it about 0.06 µs, so at most about 60 ms for a million
        rows walked to the end; each match read by its key and sorted, the plan otherwise, costs about
        2.4 µs (the office's jc over a million enterprises, 30,790 matches: 63 ms for the first 8 by
        name, 12 ms by the set; bench/README.md, "A page walked against the matches"). So the set is
        read when the matches spread through the order make the walk short (``SET_WALK_SPREAD``), or
        when they are so many that reading them by key costs more than walking the whole table. Beside
        rows named by their keys (the search box's window of 400), whatever the matches and the scope,
        those rows are read and each tested against the set."""
        if connection.vendor != "sqlite" or not query.is_sliced:
            return False
        driving = _driving(query)
        if _names_rows(driving):
            # Rows named by their keys (the box's window of 400): SQLite reads them and tests each
            # against the set, never more rows than named, where it drove the query from the matches,
            # looking up every match in the scope (a county's 11,134 of 有限: 19 → 7 ms).
            return True
        if driving:
            # Beside a condition on another indexed column (a region, a flag) SQLite may read that
            # index instead of the order.
            return False
        order = query.order_by or (query.get_meta().ordering if query.default_ordering else ())
        if not order or not _indexed_first(query.model, order[0]):
            return False
        rows = (query.high_mark or 0) or 25
        gathered = _gathered(self.query, order)
        _common_then, counts = self.decisions.get((rows, self.query.within, gathered), (False, []))
        if not counts or self.query.within is not None:
            return False
        if _spread(counts, gathered) >= SET_WALK_SPREAD:
            return True
        with connection.cursor() as cursor:
            size = _wanted(cursor, self.model, rows)[0]
        return sum(counts) * SET_WALK_SHARE >= size


def _names_rows(driving: list) -> bool:
    """Does one of the driving conditions (:func:`_driving`) name rows by their keys (the box's window)?"""
    return any(_named_keys(leaf) is not None for leaf in driving)


def _named_keys(leaf) -> int | None:
    """How many rows a condition names by their primary keys (``pk=1``, ``pk__in=[…]`` of at most
    ``SET_TEST_KEYS`` values), or None for any other condition (a subquery of keys may name every row)."""
    if not leaf.lhs.target.primary_key:
        return None
    if leaf.lookup_name == "exact":
        return 1
    if leaf.lookup_name == "in" and isinstance(leaf.rhs, list | tuple | set | frozenset):
        return len(leaf.rhs) if len(leaf.rhs) <= SET_TEST_KEYS else None
    return None


# Lookups through which the database reads an index of the table's own column instead of walking the order.
_DRIVING_LOOKUPS = frozenset({"exact", "in", "gt", "gte", "lt", "lte", "range", "startswith"})


def _probe(query: _Query, parts: list[tuple[str, str]], column: str, column_params: list) -> tuple[str, list]:
    """A condition true when the entry of the row whose id is ``column`` matches one of ``parts``: one
    seek per kind of token, whatever the condition (a kind's parts OR-ed in one); as a scalar subquery
    ``IS NOT NULL``, not ``EXISTS``, which PostgreSQL would turn into a hash of every match."""
    by_kind: dict[str, list[str]] = {}
    for which, condition in parts:
        by_kind.setdefault(which, []).append(condition)
    out, params = [], []
    for which, conditions in by_kind.items():
        joined = " OR ".join(f"({c})" for c in conditions) if len(conditions) > 1 else conditions[0]
        table, where, where_params = query.source(which, joined, probe=True)
        if connection.vendor == "sqlite":
            out.append(f"(SELECT 1 FROM {table} WHERE {where} AND rowid = {column} LIMIT 1) IS NOT NULL")
            params += [*where_params, *column_params]
        else:
            out.append(f"(SELECT 1 FROM {table} WHERE object_id = {column} AND {where} LIMIT 1) IS NOT NULL")
            params += [*column_params, *where_params]
    return ("(" + " OR ".join(out) + ")" if len(out) > 1 else out[0]), params


def checks_rows(queryset: models.QuerySet) -> bool:
    """Does ``queryset``'s search (a :class:`Matches` among its AND-ed conditions) test its term on the
    rows themselves (:meth:`Matches._row_checked`: PostgreSQL, a Chinese term beside a condition that
    selects few rows)? Such a query in the list's order is cheap: the database reads those few rows."""
    condition = _search_in(queryset.query)
    return condition is not None and condition._row_checked(queryset.query)


def walks_order(queryset: models.QuerySet) -> str | None:
    """How ``queryset`` (sliced, in its order) walks its order: "probes" when it probes each row's entry
    until it has its rows (:meth:`Matches._walk`: the matches many enough to pay a probe per row),
    "set" when against one set of its matches (:meth:`Matches._walks_set`: SQLite, many matches spread
    through the order); None when it reads its matches and sorts them. Its query is compiled to know: the
    choice is made as it is (the matches counted once, kept for the compiling that reads the rows). A
    walking query costs a short walk (and the set's reading), whatever else the caller could read first."""
    condition = _search_in(queryset.query)
    if condition is None:
        return None
    try:
        queryset.query.sql_with_params()
    except EmptyResultSet:
        return None
    return condition.walked


def _search_in(query) -> Matches | None:
    """The search among ``query``'s AND-ed conditions, resolved (its :class:`_Query` made), or None."""
    for leaf in _leaves(query.where):
        condition = getattr(leaf, "lhs", leaf)
        if isinstance(condition, Matches) and condition.query is not None:
            return condition
    return None


def first_ids(queryset: models.QuerySet, limit: int) -> list:
    """The ids of ``queryset``'s first ``limit`` rows in its order. On PostgreSQL, beside a condition on
    an indexed column that selects at most ``ROW_CHECK_ROWS`` rows (a county's enterprises), those rows
    are read and sorted behind a fence (``OFFSET 0``): the planner otherwise walks the order's index,
    testing each row against the condition, and a county's first 400 names took it past 96,000 rows
    (148-264 ms, against 21 for sorting the county's 16,709; bench/README.md, "A county's words on its
    rows"). Only for an order by the queryset's own names (fields or annotations)."""
    ids = queryset.values_list("pk", flat=True)
    order = list(queryset.query.order_by)
    if connection.vendor != "postgresql" or queryset.query.is_sliced or not _plain_order(order):
        return list(ids[:limit])
    driving = _driving(queryset.query)
    if (
        not driving
        or any(leaf.lhs.target.primary_key for leaf in driving)
        or _count_driving(queryset.query, driving, ROW_CHECK_ROWS + 1) > ROW_CHECK_ROWS
    ):
        return list(ids[:limit])
    return sorted_ids(queryset, limit)


def sorted_ids(queryset: models.QuerySet, limit: int) -> list | None:
    """The ids of ``queryset``'s first ``limit`` rows in its order, its rows read and sorted behind a fence
    (``OFFSET 0``), so that the database never walks the order's index to them: a walk stops at the first
    rows that qualify, cheap when they are spread through the order and ruinous when they sort together
    late in it (bench/README.md, "Matches that sort together"). Only for an order by the queryset's own
    names (fields or annotations); None otherwise."""
    order = list(queryset.query.order_by)
    if queryset.query.is_sliced or not _plain_order(order):
        return None
    try:
        sql, params = (
            queryset.order_by().values_list("pk", *(o.lstrip("-") for o in order)).query.sql_with_params()
        )
    except EmptyResultSet:
        return []
    by = ", ".join(f"{i + 2} {'DESC' if o.startswith('-') else 'ASC'}" for i, o in enumerate(order))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({sql} {_fence()}) AS rows ORDER BY {by} LIMIT {limit:d}", params)  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


# A walk of the order is left to find a page's first hits where fewer rows than this come before the
# first, in that order, of the matches already read (far_into_order) ...
WALK_AHEAD = 20_000
# ... or fewer than this many per match the search counted: walking a row costs less than reading a match
# by key and sorting it (SQLite: about 0.9 µs against 2.4 against a set of the matches; PostgreSQL: a
# probe about 5 µs against 6-7), so a walk that passes at most twice as many rows as there are matches
# costs no more than sorting them, and a common term (its count stops at the walk's threshold, 54,772 for
# a page of 25 at a million rows) is walked unless its first match lies past 110,000 rows.
WALK_PER_MATCH = 2
# At most this many of the matches read are looked at for the first of them in the order: their first
# stands in for the first of all the matches. Read in the index's order, which knows nothing of the
# list's, they are a sample of the matches: among 301 matches spread through the order, the first comes
# after about a 300th of the rows (3,300 of a million), and after 20,000 in one case in 400; reading them
# by key costs well under a millisecond on SQLite and 1-2 on PostgreSQL (bench/README.md, "Matches just
# past the cap").
ORDER_SAMPLE = 301


def far_into_order(queryset: models.QuerySet, scoped: models.QuerySet, sample: list) -> bool:
    """Do ``queryset``'s matches sort together far into its order, so that a walk of the order for its
    first rows would pass most of the table before its first hit (the enterprises whose names start with
    高平, after 97 % of a million names: 0.3-0.4 s on SQLite, 8.5 s on PostgreSQL)? ``sample``: keys
    of some of its matches, read in no order (the first ``ORDER_SAMPLE`` are looked at); ``scoped``: the
    rows in the reader's scope, without the search. The first of the sample in the order stands for the
    walk's first hit: where as many rows of those the walk passes come before it as reading and sorting
    the matches would cost (``WALK_AHEAD``, ``WALK_PER_MATCH`` per match the search counted when its
    query was compiled), the matches are to be read and sorted (:func:`sorted_ids`). The rows a walk
    passes: PostgreSQL walks the order's index over the whole table, testing each row for the scope (a
    county's range of codes does not keep a (region, name) index in name order); SQLite the scope's own
    rows. Only for an order by one of the model's own columns."""
    order = queryset.query.order_by
    if not sample or not _plain_order(order):
        return False
    name, descending = order[0].lstrip("-"), order[0].startswith("-")
    model = scoped.model
    field = own_column(model, name)  # None: an annotation or a related model's column
    if field is None or (field.is_relation and "__" not in name):
        # A foreign key by its own name sorts by the related model's ordering, not by its column.
        return False
    if not _integer_key(model):
        return False
    from chainboard.filters import id_list  # chainboard.filters imports this module

    keys = model._base_manager.filter(pk__in=id_list(sample[:ORDER_SAMPLE])).order_by()
    sql, params = keys.values_list(field.attname).query.sql_with_params()
    # Behind a fence: PostgreSQL otherwise answers MIN by walking the column's index to the first key
    # among them, which is the walk this is to avoid.
    first_of = "MAX" if descending else "MIN"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {first_of}(s.{_quote(field.column)}) FROM ({sql} {_fence()}) AS s", params)  # noqa: S608
        first = cursor.fetchone()[0]
    if first is None:
        return False
    condition = _search_in(queryset.query)
    counted = sum(condition.counts) if condition is not None else 0
    limit = max(WALK_AHEAD, WALK_PER_MATCH * max(counted, len(sample)))
    walked = scoped if connection.vendor == "sqlite" else model._base_manager.all()
    ahead = walked.filter(**{f"{field.attname}__{'gt' if descending else 'lt'}": first})
    return ahead.order_by()[:limit].count() >= limit


def _fence() -> str:
    """What keeps a subquery from being merged into the query around it: an ``OFFSET`` (SQLite takes one
    only after a ``LIMIT``, -1 for none); neither database flattens a subquery that has one."""
    return "OFFSET 0" if connection.vendor == "postgresql" else "LIMIT -1 OFFSET 0"


def _plain_order(order) -> bool:
    """Is ``order`` a non-empty list of the queryset's own names (fields or annotations), each ascending or
    descending (no random order, no expression)?"""
    return bool(order) and all(isinstance(o, str) and o.lstrip("-") not in ("", "?") for o in order)


def index_ids(queryset: models.QuerySet, limit: int) -> list | None:
    """The keys of ``queryset``'s first ``limit`` rows in no order, read from the search index alone,
    when its search is all that selects its rows beside conditions that the index's region token asks
    exactly (:func:`_within`): a search over everything (the office's list), or within a county (a
    county user's, SQLite). The index holds one entry per row, written and removed in the row's own
    transaction, so its keys are the rows'; read without the table, the rows are not each looked up by
    key (a county's first 10,001 matches of 有限 on SQLite: 19 → 7 ms). None otherwise: the queryset
    is read as it is."""
    query = queryset.query
    if query.is_sliced or query.distinct or query.group_by is not None or query.combinator:
        return None
    if query.is_empty() or not is_indexed(query.model):
        return None
    within, implied = _within(query, query.model)
    condition = _sole_search(query, implied)
    if condition is None or condition.via or condition.model is not query.model:
        return None
    found = _Query(query.model, condition.text)
    found.within = within
    if connection.vendor == "postgresql":
        branches, params = _pg_disjoint_parts(found, limit)
        union = " UNION ALL "
    else:
        branches, params, union = [], [], " UNION "
        for index, (which, part) in enumerate(found.parts()):
            table, where, where_params = found.source(which, part)
            # Each part's first ``limit`` keys: their union holds ``limit`` keys exactly when the whole
            # does.
            branches.append(
                f"SELECT * FROM (SELECT rowid FROM {table} WHERE {where} LIMIT {limit:d}) p{index}"
            )
            params += where_params
    if not branches:
        return []
    # Without parallel workers: for a read of 10,001 keys from the index they cost more than they save.
    with without_parallel_workers(), connection.cursor() as cursor:
        cursor.execute(f"{union.join(branches)} LIMIT {limit:d}", params)
        return [row[0] for row in cursor.fetchall()]


def _pg_disjoint_parts(found: _Query, limit: int) -> tuple[list[str], list]:
    """PostgreSQL's branches of :func:`index_ids`, with their params: the parts (the words, the pinyin)
    made disjoint, each entry read by the first part it matches (a later part keeps the entries no
    earlier part's test accepts), for ``UNION ALL`` under the ``LIMIT``. The parts live in one table,
    so a later part tests the earlier ones on the entries it reads. Then the first part's ``limit``
    matches end the read: the parts after it are never run, where a ``UNION`` read each part up to
    ``limit`` and hashed them all (the office's jc, 30,700 matches: its words' 3,078 read and 13,079
    keys hashed, about 10 ms more than its pinyin's first 10,001 alone). The part that may reach the
    limit soonest goes first: the words when they are common enough to be scanned
    (:meth:`_Query.scans_words`), else the pinyin (a term of letters is read as pinyin in most names;
    as letters only in the few that hold them)."""
    scan = found.scans_words(limit)  # a term in a third of the rows or more
    parts = [found.source(which, part, scan=scan) for which, part in found.parts()]
    if not scan:
        parts.reverse()  # the words come first in parts(): the pinyin now first
    branches, params, untested, untested_params = [], [], "", []
    for index, (table, where, where_params) in enumerate(parts):
        branches.append(
            f"SELECT * FROM (SELECT object_id FROM {table} WHERE {where}{untested} LIMIT {limit:d}) p{index}"
        )
        params += where_params + untested_params
        # IS NOT TRUE: an entry whose test is NULL (no text) was not read by that part.
        untested += f" AND ({where}) IS NOT TRUE"
        untested_params = untested_params + where_params
    return branches, params


def _indexed_search(ids) -> _Query | None:
    """The index query of a subquery of ids that is a model's own search and nothing else
    (:func:`matching_ids`), or None."""
    if not hasattr(ids, "query") or ids.query.is_sliced or ids.query.distinct:
        return None
    leaves = _leaves(ids.query.where)
    condition = getattr(leaves[0], "lhs", None) if len(leaves) == 1 else None
    if not isinstance(condition, Matches) or condition.via or condition.model is not ids.model:
        return None
    if not is_indexed(ids.model):
        return None
    query = _Query(ids.model, condition.text)
    return query if query.parts() else None


def _fewer_rows_than_matches(model: type[models.Model], related: _Query) -> bool:
    """Does ``model``'s table hold fewer rows (its largest id) than the related index's matches for
    ``related`` over ``PROBE_COST``? The matches are counted up to that point, so a rare term costs its
    few matches and a common one what the probes will."""
    if not _integer_key(model):
        return False
    with connection.cursor() as cursor:
        size, related_size = _sizes(cursor, [model, related.model])
        if not size:
            return True
        limit = size * PROBE_COST
        if limit > related_size:
            # More than the related table holds: no term matches that many, so nothing to count (the
            # problems of a province against its enterprises: counting 有限's would cost 230 ms).
            return False
        counts, params = related.counts_sql(limit)
        cursor.execute("SELECT " + " + ".join(counts), params)
        return cursor.fetchone()[0] >= limit


def _few_driven(query, condition: Matches, matches) -> bool:
    """Is a walk of an ordered query still the cheaper plan beside its other conditions? When one of them
    reads an index of the table's own column (a county user's scope: ``region_id`` between two codes),
    the database reads that index and probes every row it gives, then sorts, rather than walking the
    list's order: a county's 16,700 probes took 480 ms for 纺织 where reading its 83,000 matches
    took 60 (bench/README.md, "Searched lists: a capped count"). So, with such a condition, the rows it
    selects are counted, up to the point where probing them costs what reading the matches does
    (``matches / PROBE_COST``), and the walk is kept only below it (a town's few hundred rows). Without
    one (no other condition, or a chain scope's ``EXISTS``), or beside rows picked by id (the box's
    window of the 400 newest rows in scope, ``pk IN (…)``), True. ``matches``: a number, or a function
    that gives it, called only beside such a condition."""
    driving = _driving(query)
    if not driving or any(leaf.lhs.target.primary_key for leaf in driving):
        return True  # nothing read instead of the order, or rows picked by id (a window): few probes
    if callable(matches):  # worked out only when there is such a condition (it costs a query)
        matches = matches()
    limit = matches // max(_walk_probe_cost(), 1) + 1
    key = (_signature(driving), limit)
    if key not in condition.few_driven:  # counted once per request's condition, however often compiled
        condition.few_driven[key] = _count_driving(query, driving, limit) < limit
    return condition.few_driven[key]


def _signature(driving: list) -> tuple:
    """The driving conditions (:func:`_driving`) as a key: their lookups, columns and values."""
    return tuple(sorted((leaf.lookup_name, leaf.lhs.target.column, repr(leaf.rhs)) for leaf in driving))


def _driving(query) -> list:
    """The conditions of ``query`` through which the database reads an index of the table's own column
    (``_DRIVING_LOOKUPS`` on an indexed column of the query's table)."""
    from django.db.models.expressions import Col
    from django.db.models.lookups import Lookup

    base = query.get_initial_alias()
    return [
        leaf
        for leaf in _leaves(query.where)
        if isinstance(leaf, Lookup)
        and leaf.lookup_name in _DRIVING_LOOKUPS
        and isinstance(leaf.lhs, Col)
        and leaf.lhs.alias == base
        and _indexed_first(query.model, leaf.lhs.target.name)
    ]


def _count_driving(query, driving: list, limit: int) -> int:
    """The rows that the conditions ``driving`` alone select in ``query``'s table, counted up to ``limit``."""
    from django.db.models.sql.where import AND, WhereNode

    counted = query.clone()
    counted.where = WhereNode(driving, AND)
    counted.clear_ordering(force=True)
    counted.clear_limits()
    counted.set_limits(high=limit)
    return counted.get_count(using=connection.alias)


def _within(query, model: type[models.Model]) -> tuple[str | None, list]:
    """The region code prefix that ``query``'s conditions hold every row of ``model`` to, when its index
    carries region tokens and the prefix is one of their lengths: a range of the row's own region key
    (``region_id >= '140581' AND region_id < '140582'``: a county user's scope, a list's county filter,
    scope.prefix_range) or one code (``region_id = '140581101'``). The narrowest when there are several;
    None otherwise (an OR of grants, a condition through a join). The condition stays in the query: the
    token only lets the index read the term's entries in the region instead of all of them.

    With it, the conditions that the token says exactly (see :func:`_alone_limit`): the bounds of each
    range whose prefix begins the token's (a county's range beside a town's token). Not a code's
    equality: the token of ``140581101`` is also a village's under it."""
    from django.db.models.expressions import Col
    from django.db.models.lookups import Lookup

    column = search_region(model)
    if column is None:
        return None, []
    base = query.get_initial_alias()
    bounds: dict[str, dict[str, list]] = {"gte": {}, "lt": {}, "exact": {}}
    for leaf in _leaves(query.where):
        if (
            isinstance(leaf, Lookup)
            and leaf.lookup_name in bounds
            and isinstance(leaf.lhs, Col)
            and leaf.lhs.alias == base
            and leaf.lhs.target.column == column
            and isinstance(leaf.rhs, str)
            and leaf.rhs
        ):
            bounds[leaf.lookup_name].setdefault(leaf.rhs, []).append(leaf)
    ranges = {
        low: [*leaves, *bounds["lt"][high]]
        for low, leaves in bounds["gte"].items()
        if (high := low[:-1] + chr(ord(low[-1]) + 1)) in bounds["lt"]
    }
    prefixes = {p for p in {*ranges, *bounds["exact"]} if len(p) in REGION_LEVELS}
    if not prefixes:
        return None, []
    within = max(prefixes, key=len)
    implied = [leaf for low, leaves in ranges.items() if within.startswith(low) for leaf in leaves]
    return within, implied


def _alone_limit(query, condition: Matches, implied=()) -> int | None:
    """The query's row limit when ``condition`` is all that selects its rows and they come in no order:
    a capped count (``COUNT(*)`` over the first 10,001 matches, chainboard/filters.py) of an unscoped,
    unfiltered list. Each part's ``IN`` then reads at most that many of the index's ids: the union of
    the first ``limit`` ids of each part holds ``limit`` rows exactly when the whole does, so the count
    is the same, where reading every match first cost 99 ms for 有限 over a million enterprises against
    3 ms (bench/README.md, "Searched lists: a capped count"). Beside it, ``implied``: conditions that the
    index's region token asks exactly (:func:`_within`), so that a county user's capped count reads the
    first matches in the county (有限: the box's 101 in 0.2 ms instead of 8.6). None otherwise."""
    if not query.is_sliced or query.high_mark is None or query.low_mark:
        return None
    if query.order_by or (query.default_ordering and query.get_meta().ordering):
        return None
    if query.distinct or query.group_by is not None or query.combinator:
        return None
    return query.high_mark if _sole_search(query, implied) is condition else None


def _sole_search(query, implied=()) -> Matches | None:
    """The search that is the only condition of ``query`` beside ``implied`` (conditions the index's
    region token asks exactly, :func:`_within`), or None."""
    leaves = [leaf for leaf in _leaves(query.where) if not any(leaf is i for i in implied)]
    if len(leaves) != 1:
        return None
    # A conditional expression is filtered on as ``Exact(expression, True)``.
    leaf = leaves[0]
    if getattr(leaf, "lookup_name", "exact") != "exact" or getattr(leaf, "rhs", True) is not True:
        return None
    condition = getattr(leaf, "lhs", leaf)
    return condition if isinstance(condition, Matches) else None


def _leaves(node) -> list:
    """The conditions of a tree of AND-ed, not negated nodes; a list that holds an OR node as itself."""
    from django.db.models.sql.where import AND, WhereNode

    if isinstance(node, WhereNode):
        if node.connector != AND or node.negated:
            return [node]
        return [leaf for child in node.children for leaf in _leaves(child)]
    return [node]


def own_column(model: type[models.Model], name: str):
    """The concrete field of ``model``'s own table that an order by ``name`` reads: the field itself, or
    for the key a foreign key holds (``region__code``, the region's primary key) the foreign key, whose
    column Django orders by without a join (ORDER BY region_id); None for anything else."""
    head, _sep, tail = name.partition("__")
    try:
        field = model._meta.get_field(head)
    except FieldDoesNotExist:
        return None
    if tail:
        own = field.many_to_one and field.concrete and tail in ("pk", field.target_field.name)
        return field if own else None
    return field if field.concrete else None


def _indexed_first(model: type[models.Model], order) -> bool:
    """Does an index of ``model``'s table begin with the column of ``order`` (a name, "-name")?"""
    if not isinstance(order, str):
        return False
    name = order.lstrip("-")
    if name == "pk":
        return True
    field = own_column(model, name)
    if field is None:
        return False
    name = field.name
    if field.primary_key or field.unique or getattr(field, "db_index", False):
        return True
    return any(index.fields and index.fields[0].lstrip("-") == name for index in model._meta.indexes)


COMMON_MIN = 2_000
# A walking page probes about rows/share rows to find its rows; reading the matches instead costs about
# one read each. A probe of the FTS5 index costs about this many reads of a match (measured at 200,000
# enterprises: 110 µs against 0.9 µs), so the walk is cheaper when the matches outnumber
# sqrt(page rows × this × table rows): 23,000 of 200,000 for a page of 25, 52,000 of 1,000,000.
PROBE_COST = 120
# PostgreSQL: the same ratio for a walk's probes, a key look-up in the index table and a ``strpos`` on the
# entry (about 5 µs), against a read of a match, which visits a heap row of that table too: about 2. The
# office's jc over a million enterprises (30,700 matches) then walks the name index for its first page
# (23 ms) instead of reading and sorting every match (86 ms); bench/README.md, "A walk's probe on
# PostgreSQL". A probe of a related index (_fewer_rows_than_matches) keeps PROBE_COST: counting a related
# term's matches up to the point where it would pay costs more there than it saves.
PG_WALK_PROBE_COST = 2
# On PostgreSQL, when ``wanted`` reaches this many, a part of one token takes the planner's estimate of its
# matches instead of counting them (``_estimates``): the count costs ~7 µs a match there. From COMMON_MIN: at
# PG_WALK_PROBE_COST a page of 25 at a million rows wants 7,071 matches, and counting jc's up to that cost
# 24 ms where its estimate costs one EXPLAIN.
ESTIMATE_FROM = 2_000
FEW = 5_000  # a part with fewer matches is tested against its ids, read once, instead of by probes
# SQLite: a page in an indexed order not walked with probes is walked against a set of every match when
# this many of them spread through the order (Matches._walks_set): a page of 25 then walks about
# 25 × table rows / spread rows, 25,000 of a million (1.5 ms) ...
SET_WALK_SPREAD = 1_000
# ... or when the matches are at least this share of the table's rows (1 in 40): read by key and sorted,
# 2.4 µs each, they cost more than walking a whole table against the set (0.06 µs a row).
SET_WALK_SHARE = 40
# ... and beside rows named by at most this many keys, those rows are tested against the set.
SET_TEST_KEYS = 1_000
# PostgreSQL: beside a condition on an indexed column that selects at most this many rows, the words are
# tested on those rows' own values instead of the index (Matches._row_checked): about 1 µs a row, so at
# most about 20 ms, against the index's 7-13 µs a row or a read of every match.
ROW_CHECK_ROWS = 20_000
# ... when the planner expects the term in at least this share of as many rows of the whole table (a county
# of 16,700: 4,175 of a million); a rarer term is read from the index, which then costs less.
ROW_CHECK_SHARE = 4
# ... and below this many rows whatever the term: checking them costs about a millisecond, no more than
# asking the planner (the box asks every kind).
ROW_CHECK_ALWAYS = 1_000
# PostgreSQL: a capped read of the words' matches scans the index table instead of its GIN index when the
# planner's estimate of the matches, squared, reaches the cap × the table's entries × this: a scanned entry
# costs about this many times a match of the bitmap (0.4 against 0.05 µs; _Query.scans_words).
SCAN_COST = 10
# The characters normalise() removes (but NUL, which PostgreSQL's text never holds), as translate()'s
# first string and as a regular expression's class.
_CONTROL = "".join(map(chr, [*range(1, 32), 127]))
_CONTROL_CLASS = r"[\x01-\x1f\x7f]"
_ASCII_LETTER = re.compile(r"[a-zA-Z]")


def _wanted(cursor, model: type[models.Model], rows: int) -> tuple[int, int]:
    """(the table's size, as its largest id; the matches from which a walk for ``rows`` rows pays)."""
    size = _size(cursor, model)
    return size, _walk_threshold(rows, size)


def _walk_threshold(rows: int, size: int) -> int:
    """The matches from which walking a table of ``size`` rows for ``rows`` rows pays."""
    return max(COMMON_MIN, math.isqrt(rows * _walk_probe_cost() * size))


def _walk_probe_cost() -> int:
    """A probe of the search index against a read of one of its matches, on this database."""
    return PROBE_COST if connection.vendor == "sqlite" else PG_WALK_PROBE_COST


def _size(cursor, model: type[models.Model]) -> int:
    """The table's size, as its largest id (read from the key's index; an integer key); once a request."""
    return _sizes(cursor, [model])[0]


def table_size(model: type[models.Model]) -> int:
    """:func:`_size` for a caller without a cursor of its own (``filters.windowed_page``)."""
    with connection.cursor() as cursor:
        return _size(cursor, model)


def _integer_key(model: type[models.Model]) -> bool:
    """Is ``model``'s key an integer, so that its largest value is the table's size?"""
    return isinstance(model._meta.pk, models.AutoField | models.BigAutoField | models.IntegerField)


def _sizes(cursor, tables: Iterable[type[models.Model]]) -> list[int]:
    """Each table's size, as its largest id (integer keys), in the order asked: those not read yet this
    request (``facts_once``) read in one statement, ``SELECT (SELECT MAX(id) FROM a), (…)``."""
    tables = list(tables)
    facts = _facts.get()
    known: dict = {} if facts is None else facts
    keys = [(connection.alias, "size", _quote(model._meta.db_table)) for model in tables]
    unread = {key: model for key, model in zip(keys, tables, strict=True) if key not in known}
    if unread:
        reads = [f"MAX({_quote(m._meta.pk.column)}) FROM {_quote(m._meta.db_table)}" for m in unread.values()]
        # Table and column names quoted by the database's own rules; no value from outside.
        sql = (
            f"SELECT {reads[0]}" if len(reads) == 1 else "SELECT " + ", ".join(f"(SELECT {r})" for r in reads)
        )
        cursor.execute(sql)
        for key, size in zip(unread, cursor.fetchone(), strict=True):
            known[key] = size or 0
    return [known[key] for key in keys]


def plan_sizes(tables: Iterable[type[models.Model]]) -> None:
    """Read, in one statement, the sizes of those of ``tables`` whose plans ask for them (indexed, with
    an integer key), for the plans still to be made in this request (``facts_once``). The header's box
    plans up to 19 kinds, and each indexed kind asked its table's size (a kind found through its
    enterprise, the enterprises' too) by a statement of its own: ten on PostgreSQL for the office's 纺织.
    Nothing outside a request, where no fact is kept."""
    if _facts.get() is None:
        return
    tables = [m for m in dict.fromkeys(tables) if _integer_key(m) and is_indexed(m)]
    if tables:
        with connection.cursor() as cursor:
            _sizes(cursor, tables)


# What a request's plans are decided on (a table's size, which of the index's GIN indexes have
# statistics, the planner's estimate of a token), read once per request (``facts_once``, set by
# chainboard.middleware.PlanningFactsMiddleware) instead of once per query planned: the header's box plans
# its 19 kinds and a searched list its capped read and its page, each asking again (the office's box of
# 潞安 on PostgreSQL: the enterprises' size four times, the words' statistics and estimate three).
# Outside a request (commands, tests calling the planning directly) each is read when asked.
_facts: ContextVar[dict | None] = ContextVar("chainboard_search_facts", default=None)


@contextlib.contextmanager
def facts_once() -> Iterator[None]:
    """Within the block, each fact the plans are decided on is read once (see ``_facts``)."""
    token = _facts.set({})
    try:
        yield
    finally:
        _facts.reset(token)


def _once(key: tuple, read):
    facts = _facts.get()
    if facts is None:
        return read()
    key = (connection.alias, *key)
    if key not in facts:
        facts[key] = read()
    return facts[key]


def _most_matches(model: type[models.Model], rows: int, parts: int) -> int:
    """The most matches ``_common`` can count for ``rows`` rows: ``wanted`` for each of ``parts``."""
    if not _integer_key(model):
        return 0
    with connection.cursor() as cursor:
        return _wanted(cursor, model, rows)[1] * parts


def _gathered(query: _Query, order) -> frozenset[int]:
    """The parts of ``query`` whose matches an order by one of the searched values gathers in one
    stretch instead of spreading them: pinyin matches a value from its start, so every name whose
    first two characters read "jc" (建材, 晋城, 金川…) sits where names starting with those characters
    sort. A walk of that order for the first rows meets none of them until it gets there (at a million
    enterprises, 1,735 rows for 8 of jc's 30,700 matches, against the 260 their share promised: 649 ms
    instead of 40 for reading them), so their matches do not count toward the walk: a part per way of
    reading and value, the ordered value's. SQLite only: a probe costs 40-300 µs there, about 5 on
    PostgreSQL (a key look-up and a ``strpos``), where the same walk is cheaper than reading jc's
    matches (120 ms) and its one part for every value is left to count."""
    if connection.vendor != "sqlite" or not order or not query.pinyin or not isinstance(order[0], str):
        return frozenset()
    fields = search_fields(query.model)
    name = order[0].lstrip("-")
    if name not in fields:
        return frozenset()
    value, ways, out = fields.index(name), iter(query.pinyin), set()
    for index, (which, _condition) in enumerate(query.parts()):
        # A way's tokens begin with its value's number.
        if which == "pinyin" and int(next(ways)[0][0][0]) == value:
            out.add(index)
    return frozenset(out)


def _spread(counts: list[int], gathered: frozenset[int]) -> int:
    """The matches a walk meets at their share: those of the parts its order does not gather."""
    return sum(count for index, count in enumerate(counts) if index not in gathered)


def _common(
    model: type[models.Model],
    query: _Query,
    rows: int,
    vias=(),
    known: dict | None = None,
    gathered: frozenset[int] = frozenset(),
) -> tuple[bool, list[int]]:
    """Do the term's matches reach the point where walking the table for ``rows`` rows is cheaper than
    reading every match (and ``COMMON_MIN``)? And how many does each part match (counted on the index
    up to that many, in one query; then the rows each ``via`` finds, on its key's index)? ``known``: the
    answers for other numbers of rows (a count up to a larger number answers for a smaller one, a count
    that stopped short of its limit for any). ``gathered``: parts whose matches do not count toward the
    walk (:func:`_gathered`); they are counted all the same."""
    if not _integer_key(model):
        return False, []
    table = _quote(model._meta.db_table)
    with connection.cursor() as cursor:
        size, wanted = _wanted(cursor, model, rows)
        if wanted > size:
            # No term matches more rows than the table holds: a walk for this many rows never pays (a
            # capped count of 10,001 rows), and counting the matches to learn so cost up to 99 ms.
            return False, []
        for other, (_common_then, counts) in (known or {}).items():
            limit = _walk_threshold(other, size)
            if counts and (limit >= wanted or all(c < limit for c in counts)):
                return _spread(counts, gathered) >= wanted, counts
        asked, estimates = query.parts(), {}
        if wanted >= ESTIMATE_FROM:
            # The planner's estimate of one token is trusted only when common: it guesses at most 0.5 %
            # for a token outside the most common elements, which a rarer one is counted for (cheaply:
            # it has few matches). A sample's estimate (a part of several tokens) either way.
            floor = max(wanted // 4, size // 50)
            estimates = {
                i: e
                for i, e in _estimates(cursor, model, query, asked).items()
                if e >= floor or not _single_token(query, asked[i][0])
            }
        parts, params = query.counts_sql(wanted, [part for i, part in enumerate(asked) if i not in estimates])
        for _column, bare, sub_params, subquery, _column_params in vias:
            parts.append(
                f"(SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE {bare} IN {subquery} LIMIT {wanted:d}) AS c)"
            )
            params += sub_params
        if not parts and not estimates:
            return False, []
        counted = iter(())
        if parts:
            cursor.execute("SELECT " + ", ".join(parts), params)
            counted = iter(cursor.fetchone())
        # In the order of the parts, then the vias': each part's estimate or count.
        counts = [estimates[i] if i in estimates else next(counted) for i in range(len(asked))]
        counts += list(counted)
    return _spread(counts, gathered) >= wanted, counts


def _words_estimate(model: type[models.Model], query: _Query, floor: int) -> int | None:
    """PostgreSQL: the planner's estimate of the matches of the words part, at most: the least of its
    tokens' estimates (a phrase's matches hold each of its bigrams), looked at until one falls below
    ``floor``; None where the index has no statistics yet. A token among the most common elements that
    ANALYZE found is estimated within a few per cent (纺织: 85,032 for 83,165); any other gets the
    planner's guess for a rare element (1,667 at a million enterprises, for 潞安's 100)."""
    docs = _names(model._meta.db_table)["docs"]
    how, tokens = query.words
    least = None
    with connection.cursor() as cursor:
        if "words" not in _analysed(cursor, docs):
            return None
        for token in dict.fromkeys(tokens):
            rows = _planned_rows(cursor, docs, "words", _ts_quote(token) + (":*" if how == "prefix" else ""))
            least = rows if least is None else min(least, rows)
            if least < floor:
                break
    return least


def _single_token(query: _Query, which: str) -> bool:
    if which == "words":
        return query.words[0] in ("prefix", "token")
    return len(query.pinyin) == 1 and len(query.pinyin[0]) == 1


def _estimates(cursor, model: type[models.Model], query: _Query, asked: list) -> dict[int, int]:
    """PostgreSQL: the planner's estimate of the matches of each part that is one token (a 2-character
    term, a 1-character prefix), by position in ``asked`` (``query.parts()``), and a sample's estimate for
    each part of several tokens (:func:`_sampled`); nothing on SQLite, or where the index has no
    statistics yet (the planner would guess 0.5 %).
    A token's share comes from the most common elements ANALYZE found in the index's expression,
    within a few per cent of the count for any token common enough to matter; counting instead reads
    every match up to ``wanted`` through the index and the heap (问题: ~740 ms at a million rows).
    ``_common`` takes an estimate only where it says the token is common."""
    if connection.vendor != "postgresql":
        return {}
    docs = _names(model._meta.db_table)["docs"]
    out = _sampled(
        cursor, query, docs, [(i, w, c) for i, (w, c) in enumerate(asked) if not _single_token(query, w)]
    )
    single = [(i, w, c) for i, (w, c) in enumerate(asked) if _single_token(query, w)]
    if not single:
        return out
    analysed = _analysed(cursor, docs)
    for index, which, condition in single:
        if which in analysed:
            out[index] = _planned_rows(cursor, docs, which, condition)
    return out


def _analysed(cursor, docs: str) -> frozenset[str]:
    """PostgreSQL: which of the index table's GIN indexes ("words", "pinyin") ANALYZE has statistics for
    (without them the planner guesses 0.5 % for any token); once a request."""

    def read() -> frozenset[str]:
        cursor.execute(
            "SELECT array_agg(tablename::text) FROM pg_stats WHERE schemaname = current_schema()"
            " AND tablename IN (%s, %s)",
            [f"{docs}_words", f"{docs}_pinyin"],
        )
        return frozenset(name.removeprefix(f"{docs}_") for name in cursor.fetchone()[0] or ())

    return _once(("analysed", docs), read)


def _planned_rows(cursor, docs: str, which: str, condition: str) -> int:
    """PostgreSQL: the planner's estimate of the entries of the index table ``docs`` that the tsquery
    ``condition`` on its ``which`` tokens matches; once a request."""

    def read() -> int:
        cursor.execute(
            f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {_quote(docs)} WHERE {_pg_tokens(which)} @@ %s::tsquery",
            [condition],
        )
        plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        return int(plan[0]["Plan"]["Plan Rows"])

    return _once(("planned", docs, which, condition), read)


SAMPLE_ROWS = 2_000  # entries of the index table read to estimate a part of several tokens (PostgreSQL)
SAMPLE_FROM = 10_000  # entries below which the table is counted instead


def _sampled(cursor, query: _Query, docs: str, several: list) -> dict[int, int]:
    """PostgreSQL: the matches of each part of several tokens (a phrase, pinyin) estimated from a sample
    of the index table: about ``SAMPLE_ROWS`` entries read in whole pages (``TABLESAMPLE SYSTEM``, the
    same pages every time), each tested with the part's own condition, the share scaled to the table's
    size in its statistics; trusted whether it says common or rare (``_common``). The planner cannot
    estimate such a part (it multiplies the tokens' shares as if independent: ydzb's 100,025 matches
    estimated at 10,389) and counting it up to ``wanted`` reads every match through the GIN index and the
    heap (215 ms for ydzb at a million; a sample 9-17 ms, 9.3-9.5 % against 10.0 %: bench/README.md).
    Nothing where the table has no statistics yet."""
    if not several:
        return {}
    cursor.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", [_quote(docs)])
    found = cursor.fetchone()
    size = int(found[0]) if found and found[0] is not None else 0
    if size < SAMPLE_FROM or size <= 0:  # unknown (-1 before ANALYZE) or small: counting is cheap
        return {}
    percent = min(100.0, 100.0 * SAMPLE_ROWS / size)
    out = {}
    for index, which, condition in several:
        table, where, params = query.source(which, condition)
        cursor.execute(
            f"SELECT COUNT(*) FILTER (WHERE {where}), COUNT(*) FROM {table}"
            " TABLESAMPLE SYSTEM (%s) REPEATABLE (0)",
            [*params, percent],
        )
        hits, seen = cursor.fetchone()
        if seen:
            out[index] = round(hits * size / seen)
    return out


def compact_postgres(table: str, pk: str, columns: list[str]):
    """Migration operations that convert a PostgreSQL index of ``table`` from the tsvector table to the
    compact one (text columns, GIN over functions of them) and fill it; nothing on SQLite. Backwards
    leaves the compact table: the code that read the tsvector table is gone."""
    from django.db import migrations

    def forwards(apps, schema_editor):
        conn = schema_editor.connection
        if conn.vendor != "postgresql":
            return
        with conn.cursor() as cursor:
            for sql in [*uninstall_sql(conn.vendor, table), *install_sql(conn.vendor, table, pk, columns)]:
                cursor.execute(sql)
        _fill(conn, table, pk, columns)

    return [migrations.RunPython(forwards, migrations.RunPython.noop)]

"""Indexed text search: Chinese substrings of any length and pinyin by prefix, the same on SQLite and
PostgreSQL, without scanning the table.

Why keys in a table of our own: SQLite's FTS5 trigram tokenizer finds nothing below three characters and
PostgreSQL's pg_trgm is PostgreSQL only; neither knows pinyin. A plain table of keys with one B-tree
answers every case on both databases with the same SQL, so both give the same results.

A model opts in by declaring ``search_fields`` (its own text fields) on the model class. For each of
those values of an object, :func:`keys_for` stores:

- every character bigram of the text (ASCII letters lower-cased), plus the last character followed by
  ``END``, so that every character starts at least one key (per object, ``c`` + ``END`` is left out
  when a bigram of the object starts with ``c``: see :func:`object_keys`);
- ``PINYIN`` + the initials of the text's pinyin, and ``PINYIN`` + its full pinyin (ASCII letters and
  digits of the text are kept as they are, other characters dropped), once per combination of the
  readings of polyphonic characters (pypinyin ``heteronym=True``; the phrase reading comes first, the
  earliest characters vary first, at most ``MAX_COMBINATIONS``). Pinyin keys are cut at ``PINYIN_MAX``
  letters: prefixes longer than that match on their first ``PINYIN_MAX`` letters.

The markers are control characters, which :func:`normalise` removes from text and queries alike, so a
query can never reach them and a marker key never collides with a bigram.

A term (the whole query, stripped) matches an object when any rule matches:

- 1 character ``c``: a range over the keys that start with ``c`` (its bigrams and ``c`` + ``END``);
- 2 characters: the bigram key itself;
- 3 or more: every bigram of the term must be a key of the object; the rarest bigram (one small probe
  query, each count capped at ``PROBE``) drives, the others are checked by ``EXISTS`` on the index, and
  the few candidates are confirmed with ``icontains`` (the bigrams can occur apart). When every bigram is
  that common (``PROBE`` objects or more each) the matches are many anyway and a plain ``icontains`` scan
  is the cheaper plan, so that is what runs;
- letters and digits only (spaces and apostrophes ignored, any case): also a prefix of the initials or
  of the full pinyin, as the range ``PINYIN+term <= key < PINYIN+next(term)``. A range is answered from
  the index on both databases; ``LIKE 'x%'`` would be on SQLite only under conditions.

:func:`matching_ids` returns a subquery of ids for ``pk__in`` on a queryset that is already restricted,
so scope applies as everywhere else. Case folding is ASCII only, as SQLite's ``LIKE`` does.

Keeping keys current: :mod:`chainboard.actions` calls :func:`reindex` after each create and update and
:func:`remove` after each delete, inside the write's transaction, so keys never disagree with the rows
after a commit or a rollback. There are no signals: the explicit call is the one write path. Imports write
many rows' keys at once with :func:`index_many`. Loads that bypass the actions (raw inserts, benchmarks)
run :func:`rebuild` (``manage.py rebuild_search``).
Until a model has any key at all, ``ScopedFilterSet`` falls back to ``icontains`` (see
:func:`is_indexed`). Keys of objects deleted by a cascade linger until the next rebuild; they are
harmless because ids are always applied to the live table.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from functools import lru_cache

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models, transaction
from django.db.models import Exists, Expression, OuterRef, Q, Subquery
from django.db.models.lookups import IsNull

from chainboard.models import SearchKey

END = "\x03"
PINYIN = "\x1f"
MAX_COMBINATIONS = 32
PINYIN_MAX = 40
PROBE = 5000
BATCH = 5000

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PINYIN_TERM = re.compile(r"[a-z0-9]+")
_PINYIN_NOISE = re.compile(r"[\s']+")


def search_fields(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(getattr(model, "search_fields", ()) or ())


def normalise(text: str) -> str:
    """ASCII lower case, control characters removed (they are the key markers)."""
    return _CONTROL.sub("", text.translate(_ASCII_LOWER))


# --- keys -------------------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def _readings(char: str) -> tuple[str, ...]:
    """All toneless readings of one Chinese character (``()`` for anything else)."""
    from pypinyin import Style, pinyin

    result = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    return tuple(dict.fromkeys(r for r in result[0] if r.isascii() and r.isalpha())) if result else ()


def _slots(text: str) -> list[tuple[str, ...]]:
    """Per kept character, its possible syllables: the phrase reading first, then the other readings."""
    slots: list[tuple[str, ...]] = []
    start = None  # where the current run of characters with readings (read as a phrase) began
    for i, char in enumerate(text):
        if not char.isascii() and _readings(char):
            if start is None:
                start = i
            continue
        if start is not None:
            slots += _run_slots(text[start:i])
            start = None
        if char.isascii() and char.isalnum():
            slots.append((char.lower(),))
    if start is not None:
        slots += _run_slots(text[start:])
    return slots


@lru_cache(maxsize=65536)
def _run_slots(run: str) -> tuple[tuple[str, ...], ...]:
    """The slots of consecutive characters with readings, read as a phrase. Cached: runs repeat across
    the names of an import (有限公司, county and chain names)."""
    phrase = [syllable for word in _words(run) for syllable in _word_reading(word)]
    if len(phrase) != len(run):
        phrase = [_readings(c)[0] for c in run]
    return tuple(
        tuple(dict.fromkeys((first, *_readings(char)))) for char, first in zip(run, phrase, strict=True)
    )


def _words(run: str) -> list[str]:
    """The words pypinyin's ``lazy_pinyin`` reads ``run`` as (its own segmentation, forward maximum
    matching on its phrase dictionary)."""
    from pypinyin.seg.simpleseg import seg

    return seg(run)


@lru_cache(maxsize=65536)
def _word_reading(word: str) -> tuple[str, ...]:
    """``lazy_pinyin`` of one word. ``lazy_pinyin(run)`` is the concatenation of its words' readings
    (it segments, then converts word by word; a word re-segments to itself), and words repeat far
    more than whole names do: caching them makes the phrase reading about four times cheaper."""
    from pypinyin import Style, lazy_pinyin

    return tuple(lazy_pinyin(word, style=Style.NORMAL, errors="ignore"))


def _combinations(slots: list[tuple[str, ...]]) -> Iterator[tuple[str, ...]]:
    # itertools.product varies its last argument fastest; reversed, the first character varies fastest,
    # so the cap cuts the readings of the last characters, which prefixes reach least.
    for combo in itertools.islice(itertools.product(*reversed(slots)), MAX_COMBINATIONS):
        yield combo[::-1]


def pinyin_keys(text: str) -> set[str]:
    slots = _slots(text)
    if not slots:
        return set()
    keys = set()
    initial_slots = [tuple(dict.fromkeys(s[0] for s in slot)) for slot in slots]
    for combo in _combinations(initial_slots):
        keys.add(PINYIN + "".join(combo)[:PINYIN_MAX])
    # Only the characters within the first PINYIN_MAX letters matter for the full pinyin.
    upto, length = 0, 0
    while upto < len(slots) and length < PINYIN_MAX:
        length += min(len(s) for s in slots[upto])
        upto += 1
    for combo in _combinations(slots[:upto]):
        keys.add(PINYIN + "".join(combo)[:PINYIN_MAX])
    return keys


def text_keys(text: str) -> frozenset[str]:
    """The keys of one value (see the module docstring). Cached per distinct text: an import's texts
    repeat (short names, counties, chains)."""
    return _text_keys(text)


@lru_cache(maxsize=4096)
def _text_keys(text: str) -> frozenset[str]:
    norm = normalise(text)
    if not norm:
        return frozenset()
    keys = {norm[i : i + 2] for i in range(len(norm) - 1)}
    keys.add(norm[-1] + END)
    keys |= pinyin_keys(text)
    return frozenset(keys)


def object_keys(values: Iterable) -> set[str]:
    """The keys of one object, from the values of its ``search_fields``: the union of their keys, less
    each ``c`` + ``END`` whose ``c`` starts a bigram of the object. Such a key is redundant: it serves
    only the one-character rule, the range of keys that start with ``c``, which the bigram already
    meets for this object (no other rule can reach a key with a marker)."""
    keys: set[str] = set()
    for value in values:
        if value not in (None, ""):
            keys |= text_keys(str(value))
    starts = {key[0] for key in keys if len(key) == 2 and key[1] != END and key[0] != PINYIN}
    keys.difference_update([c + END for c in starts])
    return keys


def keys_for(instance: models.Model) -> set[str]:
    return object_keys(getattr(instance, name) for name in search_fields(type(instance)))


# --- writing ----------------------------------------------------------------------------------------


def _content_type(model: type[models.Model]) -> ContentType:
    return ContentType.objects.get_for_model(model)


_deferred: ContextVar[dict | None] = ContextVar("chainboard_search_deferred", default=None)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Collect the re-indexing of a bulk operation (an import) and write it at the end in batches.

    Use inside the operation's transaction, so that the keys commit or roll back with the rows.
    """
    if _deferred.get() is not None:  # nested: the outer block writes
        yield
        return
    pending: dict = {}
    token = _deferred.set(pending)
    try:
        yield
    finally:
        _deferred.reset(token)
    for (model, _pk), instance in pending.items():
        _write(instance, model)


def reindex(instance: models.Model) -> None:
    """Make the keys of ``instance`` match its current values (no-op for models without search)."""
    model = type(instance)
    if not search_fields(model) or instance.pk is None:
        return
    pending = _deferred.get()
    if pending is not None:
        pending[(model, instance.pk)] = instance
        return
    _write(instance, model)


def _write(instance: models.Model, model: type[models.Model]) -> None:
    ct = _content_type(model)
    wanted = keys_for(instance)
    rows = SearchKey.objects.filter(content_type=ct, object_id=instance.pk)
    with transaction.atomic():
        existing = set(rows.values_list("key", flat=True))
        stale = existing - wanted
        if stale:
            rows.filter(key__in=stale).delete()
        SearchKey.objects.bulk_create(
            [SearchKey(content_type=ct, object_id=instance.pk, key=k) for k in wanted - existing],
            batch_size=BATCH,
        )


def index_many(model: type[models.Model], instances: list[models.Model], *, fresh: bool) -> None:
    """Keys for many rows at once (an import): ``fresh`` rows have none yet and only insert; the others
    drop their old keys first, in chunks."""
    if not instances or not search_fields(model):
        return
    ct = _content_type(model)
    if not fresh:
        pks = [o.pk for o in instances]
        for start in range(0, len(pks), BATCH):
            SearchKey.objects.filter(content_type=ct, object_id__in=pks[start : start + BATCH]).delete()
    # ``pk`` and the values read once per object, not once per key (70 keys an enterprise).
    fields, ct_pk = search_fields(model), ct.pk
    _insert(
        (ct_pk, pk, key)
        for pk, values in [(obj.pk, [getattr(obj, name) for name in fields]) for obj in instances]
        for key in object_keys(values)
    )


def remove(instance: models.Model) -> None:
    """Drop the keys of a deleted object (call with its primary key still set)."""
    model = type(instance)
    if not search_fields(model) or instance.pk is None:
        return
    pending = _deferred.get()
    if pending is not None:
        pending.pop((model, instance.pk), None)
    SearchKey.objects.filter(content_type=_content_type(model), object_id=instance.pk).delete()


def _insert(rows: Iterable[tuple[int, int, str]]) -> int:
    table = connection.ops.quote_name(SearchKey._meta.db_table)
    columns = '("content_type_id", "object_id", "key")'
    sql = f"INSERT INTO {table} {columns} VALUES (%s, %s, %s)"  # noqa: S608
    count = 0
    batch: list[tuple[int, int, str]] = []
    with connection.cursor() as cursor:
        copy = getattr(cursor.cursor, "copy", None)  # psycopg 3 on PostgreSQL
        if connection.vendor == "postgresql" and copy is not None:
            # COPY: several times faster than batched INSERTs for the tens of millions of keys of a
            # province-scale rebuild (bench/README.md, Province scale).
            with copy(f"COPY {table} {columns} FROM STDIN") as stream:
                for row in rows:
                    stream.write_row(row)
                    count += 1
            return count
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH * 10:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def rebuild(model: type[models.Model]) -> int:
    """Replace every key of ``model`` from its rows; returns the number of keys written."""
    fields = search_fields(model)
    if not fields:
        raise ValueError(f"{model._meta.label} declares no search_fields")
    ct = _content_type(model)

    def rows(chunk):
        # Sorted by key across the chunk: the primary key's index pages are touched in order.
        keyed = sorted((key, pk) for pk, *texts in chunk for key in object_keys(texts))
        for key, pk in keyed:
            yield (ct.pk, pk, key)

    # Objects in primary-key chunks (a range each, no open cursor), each chunk's keys written at once:
    # reading never interleaves with the writing (PostgreSQL's COPY holds the connection).
    values = model._base_manager.order_by("pk").values_list("pk", *fields)
    count = 0
    with transaction.atomic():
        SearchKey.objects.filter(content_type=ct).delete()
        chunk = list(values[:BATCH])
        while chunk:
            count += _insert(rows(chunk))
            chunk = list(values.filter(pk__gt=chunk[-1][0])[:BATCH])
    return count


def searchable_models() -> list[type[models.Model]]:
    from django.apps import apps

    return [m for m in apps.get_models() if search_fields(m)]


# --- reading ----------------------------------------------------------------------------------------


def is_indexed(model: type[models.Model]) -> bool:
    """Does ``model`` opt in and hold keys (so that the index, not a scan, answers its searches)?"""
    return bool(search_fields(model)) and SearchKey.objects.filter(content_type=_content_type(model)).exists()


def _after(prefix: str) -> str:
    """The smallest string greater than every string that starts with ``prefix``."""
    last = ord(prefix[-1])
    if last >= 0x10FFFF:
        return _after(prefix[:-1]) if len(prefix) > 1 else prefix + "\U0010ffff"
    return prefix[:-1] + chr(last + 1)


def _probe(ct: ContentType, bigrams: list[str]) -> list[int]:
    """How many objects hold each bigram, each count capped at ``PROBE`` (one query, index only)."""
    # Only the table name (from the model) and constants are formatted in; the values are parameters.
    table = connection.ops.quote_name(SearchKey._meta.db_table)
    one = f'SELECT 1 FROM {table} WHERE "content_type_id" = %s AND "key" = %s LIMIT {PROBE:d}'  # noqa: S608
    parts = [f"(SELECT COUNT(*) FROM ({one}) AS p{i})" for i in range(len(bigrams))]  # noqa: S608
    params: list = []
    for b in bigrams:
        params += [ct.pk, b]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        return list(cursor.fetchone())


def _contains(model: type[models.Model], text: str) -> Q:
    condition = Q()
    for name in search_fields(model):
        condition |= Q(**{f"{name}__icontains": text})
    return condition


def _substring(model: type[models.Model], ct: ContentType, term: str, raw: str) -> _Rule | None:
    keys = SearchKey.objects.filter(content_type=ct).order_by()
    bigrams = list(dict.fromkeys(term[i : i + 2] for i in range(len(term) - 1)))
    counts = _probe(ct, bigrams)
    if min(counts) == 0:
        return None
    if min(counts) >= PROBE:
        return _Rule(rows=_contains(model, raw))
    ranked = [b for _, b in sorted(zip(counts, bigrams, strict=True))]
    candidates = keys.filter(key=ranked[0])
    for b in ranked[1:]:
        candidates = candidates.filter(Exists(keys.filter(key=b, object_id=OuterRef("object_id"))))
    return _Rule(
        ids=model._base_manager.filter(pk__in=candidates.values("object_id"))
        .filter(_contains(model, raw))
        .order_by()
        .values("pk")
    )


class _Rule:
    """One way a term matches: keys from ``low`` up to ``high`` (a condition on the object's search
    keys; one key when ``high`` is None), rows (a condition on the object's own text, used only when
    every bigram of the term is common, so it matches many) or ids (a subquery of ids)."""

    def __init__(self, *, low=None, high=None, rows: Q | None = None, ids=None):
        self.low, self.high, self.rows, self.ids = low, high, rows, ids
        self.keys = None
        if low is not None:
            self.keys = Q(key=low) if high is None else Q(key__gte=low, key__lt=high)

    def key_sql(self) -> tuple[str, list]:
        if self.high is None:
            return '"key" = %s', [self.low]
        return '"key" >= %s AND "key" < %s', [self.low, self.high]


def _rules(model: type[models.Model], text: str) -> list[_Rule]:
    ct = _content_type(model)
    raw = text.strip()
    term = normalise(raw)
    rules: list[_Rule] = []
    if len(term) == 1:
        rules.append(_Rule(low=term, high=_after(term)))
    elif len(term) == 2:
        rules.append(_Rule(low=term))
    elif len(term) > 2:
        found = _substring(model, ct, term, raw)
        if found is not None:
            rules.append(found)
    spelled = _PINYIN_NOISE.sub("", term)
    if spelled and _PINYIN_TERM.fullmatch(spelled):
        prefix = PINYIN + spelled[:PINYIN_MAX]
        rules.append(_Rule(low=prefix, high=_after(prefix)))
    return rules


def _ids(model: type[models.Model], rules: list[_Rule]) -> models.QuerySet:
    keys = SearchKey.objects.filter(content_type=_content_type(model)).order_by()
    parts = []
    for rule in rules:
        if rule.keys is not None:
            parts.append(keys.filter(rule.keys).values("object_id"))
        elif rule.rows is not None:
            parts.append(model._base_manager.filter(rule.rows).order_by().values("pk"))
        else:
            parts.append(rule.ids)
    if not parts:
        return keys.none().values("object_id")
    return parts[0] if len(parts) == 1 else parts[0].union(*parts[1:])


def matching_ids(model: type[models.Model], text: str) -> models.QuerySet:
    """A subquery of the ids of ``model`` whose ``search_fields`` match ``text``; use as ``pk__in``."""
    return _ids(model, _rules(model, text))


def matches(model: type[models.Model], text: str) -> Matches:
    """A filter condition on ``model``: the objects whose ``search_fields`` match ``text``.

    ``queryset.filter(search.matches(Model, "纺织"))`` selects what ``pk__in=matching_ids(...)``
    selects, with the plan that suits the query; see :class:`Matches`.
    """
    return Matches(model, text)


class Matches(Expression):
    """``id IN (matching ids)``, or, for the first rows of a long result, a probe of the keys per row.

    ``IN`` reads every match before the first row is returned: right for a count, an export and any
    term that matches few objects. For a term that matches many (纺织: one enterprise in twelve), the
    first page sorted by name would sort all of them (73 ms at a million enterprises); walking the name
    index and probing each row's keys finds 25 matches after about 300 rows (under 1 ms).
    A probe is one seek for a bigram (the primary key) and for a pinyin prefix (the index on content
    type, object id and key). So the condition is compiled as that probe when the query is cut (a
    page), the term is common (its matches, counted on the index up to that many, are at least 1 % of
    the table and ``COMMON_MIN``) and the query's order, if any, starts with an indexed column;
    otherwise as ``IN``. Both select the same rows. The same on PostgreSQL: its planner would walk
    for one key by itself, but a term with two rules (``jh`` is a bigram and a pinyin prefix) is a
    union it hashes whole (450 ms).
    """

    conditional = True
    output_field = models.BooleanField()

    def __init__(self, model: type[models.Model], text: str):
        super().__init__()
        self.model, self.text = model, text
        self.rules: list[_Rule] | None = None  # set when resolved, with the two forms below
        self.by_ids = self.by_probe = None
        self.common: bool | None = None
        self.counts: list[int] = []

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.model._meta.label}, {self.text!r})"

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        if self.rules is not None:
            # Resolved already (by filter()); the compiler asks again for a lookup's left-hand side.
            # Its parts are resolved against this query, so the term's rules and their queries are not
            # worked out a second time (a probe query and the building of every form: 4 ms a search).
            return self
        clone = self.copy()
        clone.rules = rules = _rules(self.model, self.text)
        by_ids = Q(pk__in=_ids(self.model, rules))
        clone.by_ids = by_ids.resolve_expression(query, allow_joins, reuse, summarize)
        if rules and all(r.ids is None for r in rules):
            # Per rule, the two ways a walking page may test a row: the rule's few ids (read once) or a
            # probe of the row's keys; chosen by the rule's count when compiled (see _walk).
            keys = SearchKey.objects.filter(content_type=_content_type(self.model)).order_by()
            forms = []
            for rule in rules:
                if rule.keys is None:
                    forms.append((rule.rows, rule.rows))
                    continue
                # "(SELECT object_id … LIMIT 1) IS NOT NULL" rather than EXISTS: PostgreSQL turns an
                # EXISTS into a hash of every match (all 92,000 keys of the prefix jh), which is the
                # reading of every match this plan avoids; a scalar subquery stays a probe per row.
                first = keys.filter(rule.keys, object_id=OuterRef("pk")).values("object_id")[:1]
                forms.append(
                    (Q(pk__in=keys.filter(rule.keys).values("object_id")), IsNull(Subquery(first), False))
                )
            clone.by_probe = [
                (
                    few.resolve_expression(query, allow_joins, reuse, summarize),
                    probe.resolve_expression(query, allow_joins, reuse, summarize),
                )
                for few, probe in forms
            ]
        return clone

    def get_source_expressions(self):
        if self.rules is None:
            return []
        return [self.by_ids, *(e for pair in (self.by_probe or []) for e in pair)]

    def set_source_expressions(self, exprs):
        if self.rules is not None:
            self.by_ids, rest = exprs[0], exprs[1:]
            if self.by_probe is not None:
                self.by_probe = [(rest[i], rest[i + 1]) for i in range(0, len(rest), 2)]

    def as_sql(self, compiler, connection):
        if not self._walk(compiler.query):
            return compiler.compile(self.by_ids)
        parts, params = [], []
        for (few, probe), count in zip(self.by_probe, self.counts, strict=True):
            sql, part_params = compiler.compile(few if count < FEW else probe)
            parts.append(f"({sql})")
            params += part_params
        return "(" + " OR ".join(parts) + ")", params

    def _walk(self, query) -> bool:
        if self.by_probe is None or not query.is_sliced:
            return False
        order = query.order_by or (query.get_meta().ordering if query.default_ordering else ())
        if order and not _indexed_first(query.model, order[0]):
            return False
        if self.common is None:  # asked once per query, however often it is compiled
            self.common, self.counts = _common(self.model, self.rules)
        return self.common


def _indexed_first(model: type[models.Model], order) -> bool:
    """Does an index of ``model``'s table begin with the column of ``order`` (a name, "-name")?"""
    if not isinstance(order, str):
        return False
    name = order.lstrip("-")
    if name == "pk":
        return True
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    if field.primary_key or field.unique or getattr(field, "db_index", False):
        return True
    return any(index.fields and index.fields[0].lstrip("-") == name for index in model._meta.indexes)


COMMON_MIN = 2_000
COMMON_SHARE = 100  # common: matching at least one row in this many (and COMMON_MIN rows)
FEW = 5_000  # a rule with fewer matches is tested against its ids, read once, instead of by probes


def _common(model: type[models.Model], rules: list[_Rule]) -> tuple[bool, list[int]]:
    """Do the rules match at least 1 % of the table's rows and ``COMMON_MIN``? And how many does each
    match (counted on the index up to that many, in one query, so the question costs a few
    milliseconds at most)?"""
    if not isinstance(model._meta.pk, models.AutoField | models.BigAutoField | models.IntegerField):
        return False, []
    qn = connection.ops.quote_name
    table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
    keys = qn(SearchKey._meta.db_table)
    greatest = "MAX" if connection.vendor == "sqlite" else "GREATEST"  # of two values
    cap = f"(SELECT {greatest}(COALESCE(MAX({pk}), 0) / {COMMON_SHARE:d}, {COMMON_MIN:d}) FROM {table})"  # noqa: S608
    parts, params = [cap], []
    for rule in rules:
        if rule.keys is None:
            parts.append("NULL")
            continue
        condition, condition_params = rule.key_sql()
        parts.append(
            f'(SELECT COUNT(*) FROM (SELECT 1 FROM {keys} WHERE "content_type_id" = %s AND {condition}'  # noqa: S608
            f" LIMIT {cap}) AS c)"
        )
        params += [_content_type(model).pk, *condition_params]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        wanted, *counts = cursor.fetchone()
    # A rule on the rows themselves (every bigram common) matches many by construction.
    counts = [wanted if count is None else count for count in counts]
    return sum(counts) >= wanted, counts

"""Checking a large file's rows in forked worker processes."""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db import models

from chainboard.imports.lookups import _Lookup
from chainboard.imports.outcome import MAX_ERRORS, PREVIEW_ROWS, Outcome
from chainboard.imports.rows import _Row
from chainboard.imports.validation import _CheckContext

if TYPE_CHECKING:
    from chainboard.imports.importer import Importer


# -- checking in worker processes -------------------------------------------------------------------
#
# Workers are forked, so they start with the importer, its rows and its lookups as the parent holds
# them, and send back each row's outcome (pickled). They never use the database: the parent's
# connections are shared with them (the same socket, the same SQLite file handle), so a query there
# would corrupt the parent's session. A row whose check would need the database (a form that queries)
# makes its worker give up on its share, which the parent then checks itself.

SHARE_ROWS = 1_000  # the fewest rows a worker is sent at a time
_FORKED: tuple | None = None  # (importer, todo, context), read by the workers


class _NeedsDatabase(Exception):
    pass


def _refuse_queries(*args, **kwargs):
    raise _NeedsDatabase


def _check_share(bounds: tuple[int, int]) -> bytes | None:
    import pickle
    from contextlib import ExitStack

    from django.db import connections

    importer, todo, context = _FORKED
    importer.progress = None  # progress is the parent's to write
    importer.outcome = Outcome()  # this share's errors and preview only
    share = todo[bounds[0] : bounds[1]]
    try:
        with ExitStack() as stack:
            for conn in connections.all():
                stack.enter_context(conn.execute_wrapper(_refuse_queries))
            for count, (row, target) in enumerate(share, 1):
                if count % 1000 == 0:
                    gc.freeze()
                importer._validate_row(row, target, context)
    except _NeedsDatabase:
        return None
    # Plain values, not model instances: pickling an instance costs as much as checking its row.
    attnames = [f.attname for f in importer.model._meta.concrete_fields]
    states = [
        (
            None if r.instance is None else tuple(r.instance.__dict__.get(a) for a in attnames),
            {name: [o.pk for o in objs] for name, objs in r.related.items()},
            r.label,
            r.existing,
            r.before,
            r.changed,
            r.action,
        )
        for r, _target in share
    ]
    outcome = importer.outcome
    result = (states, outcome.errors, outcome.error_count, outcome.preview)
    return pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)  # bytes: the parent unpickles them


class _Restorer:
    """Rows as a worker checked them, rebuilt in the parent: the instance from its field values, its
    relations from the parent's own lookups (the objects the write and the audit then use)."""

    def __init__(self, model, lookups: dict[str, _Lookup], new: Callable[[], models.Model]):
        self.new = new
        self.fields = list(model._meta.concrete_fields)
        self.objects: dict[str, dict] = {}
        for name, lookup in lookups.items():
            self.objects[name] = {o.pk: o for found in lookup.by_value.values() for o in found}
        self.foreign = [
            (f, self.objects[f.name]) for f in self.fields if f.is_relation and f.name in self.objects
        ]

    def restore(self, row: _Row, target, state) -> None:
        values, related, row.label, row.existing, row.before, row.changed, row.action = state
        if values is None:
            return
        instance = target if target is not None else self.new()
        for f, value in zip(self.fields, values, strict=True):
            instance.__dict__[f.attname] = value
        for f, objects in self.foreign:
            value = instance.__dict__[f.attname]
            if value in objects:
                f.set_cached_value(instance, objects[value])
            elif f.is_cached(instance) and getattr(f.get_cached_value(instance), "pk", None) != value:
                f.delete_cached_value(instance)  # stale: the row changed it to a value not looked up
        for name, pks in related.items():
            objects = self.objects.get(name, {})
            if any(pk not in objects for pk in pks):  # a value only the record held (prefetched)
                objects = {**objects, **{o.pk: o for o in getattr(target, name).all()}}
            row.related[name] = [objects[pk] for pk in pks]
        row.instance = instance


def _parallel_check(importer: Importer, todo: list, context: _CheckContext, processes: int, total: int):
    import pickle
    from concurrent.futures import ProcessPoolExecutor

    global _FORKED
    size = max(SHARE_ROWS, -(-len(todo) // (processes * 4)))  # a few shares a worker, for the progress bar
    shares = [(start, min(start + size, len(todo))) for start in range(0, len(todo), size)]
    results = []
    _FORKED = (importer, todo, context)
    # The parent's objects are left out of the workers' garbage collections, which would otherwise
    # touch, and so copy, every page of memory they share with the parent (run() thaws them).
    gc.freeze()
    try:
        with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork")) as pool:
            for (_start, end), result in zip(shares, pool.map(_check_share, shares), strict=True):
                results.append(result)
                if importer.progress:
                    importer.progress(end, total)
    finally:
        _FORKED = None
    # The rows are rebuilt once the workers are done, so that the parent does not take a core from them.
    restorer = _Restorer(importer.model, context.lookups, context.new)
    outcome = importer.outcome
    fallen_back = []
    # Rebuilding 100,000 rows creates some million objects and no garbage: the collector would run a
    # thousand times over the whole heap, for nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for index, (start, end) in enumerate(shares):
            result, results[index] = results[index], None  # each share's bytes freed once rebuilt
            if result is None:
                fallen_back.append((start, end))
                continue
            states, errors, error_count, preview = pickle.loads(result)  # noqa: S301 - our own workers'
            del result
            for (row, target), state in zip(todo[start:end], states, strict=True):
                restorer.restore(row, target, state)
            outcome.errors += errors[: max(MAX_ERRORS - len(outcome.errors), 0)]
            outcome.error_count += error_count
            outcome.preview += preview[: max(PREVIEW_ROWS - len(outcome.preview), 0)]
    finally:
        gc.freeze()  # the rebuilt rows live on, as the rows checked in this process do
        if collecting:
            gc.enable()
    for start, end in fallen_back:
        for row, target in todo[start:end]:
            importer._validate_row(row, target, context)

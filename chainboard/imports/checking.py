"""Checking every row: keys, the form, uniqueness."""

from __future__ import annotations

import gc
import multiprocessing
from collections import defaultdict
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from chainboard import audit, bulkwrite
from chainboard.forms import form_data
from chainboard.imports import parallel
from chainboard.imports.lookups import _Lookup, _typed, lookup_for
from chainboard.imports.outcome import CHUNK, PREVIEW_ROWS, ImportError_, RowError, _Params
from chainboard.imports.rows import _Row
from chainboard.imports.scoping import ScopeCheck
from chainboard.imports.validation import RowValidator, _CheckContext
from chainboard.imports.values import (
    convert,
    excel_code_message,
    excel_zeroed_digits,
    normalise_code,
    split_list,
)

# A relation column whose distinct values mostly find nothing is the wrong column (or the wrong
# field for it): one error for the column instead of one per row.
COLUMN_PROBLEM_MIN_VALUES = 3


class Checking:
    """The importer's check: each row's key, its values through the form, uniqueness in bulk."""

    muted: set[str] | frozenset[str] = frozenset()  # columns reported once as a whole (check())
    scope_check: ScopeCheck | None = None

    def _convert(self, row: _Row, name: str, text: str, index: int | None):
        """The raw text as the form expects it, or None to leave the field out (blank on update)."""
        factor = self.units.get(index, 1) if index is not None else 1
        return convert(self.spec.columns[name], text, factor)

    # -- checking ---------------------------------------------------------------------------------
    def check(self) -> list[_Row]:
        if not self.mapping:
            raise ImportError_(_("Map at least one column to a field."))
        rows = self._data_rows()
        self.outcome.total = len(rows)
        existing = self._existing(rows)
        self.scope_check = ScopeCheck(self.spec, self.user)
        self._apply_defaults(rows, existing)
        # Every relation field of the form resolves from memory, mapped or not (an unmapped one holds
        # nothing on a new record and the current values on an update).
        lookups = {}
        for name, column in self.spec.columns.items():
            if column.related is not None and hasattr(column.form_field, "queryset"):
                values: set[str] = set()
                for row in rows:
                    text = row.cells.get(name, "")
                    if column.many:
                        values.update(split_list(text))
                    elif text:
                        values.add(text)
                lookups[name] = lookup_for(column, values)
        self.muted = self._column_problems(lookups)
        validator = RowValidator(self.spec, lookups)
        context = _CheckContext(
            validator,
            lookups,
            [n for n in self.spec.columns if n != "id"],
            {n: i for i, n in self.mapping.items()},
            bulkwrite.builder(self.model),
        )
        # Which record each row updates, in file order (a record updated by two rows is an error).
        todo: list[tuple[_Row, Any]] = []
        seen_targets: dict[Any, int] = {}
        for row in rows:
            target = existing.get(row.number)
            if isinstance(target, RowError):
                self._record(target)
                continue
            if target is not None:
                if target.pk in seen_targets:
                    self.error(
                        row.number,
                        self.spec.keys[0],
                        _("Row %(other)s already updates this record.")
                        % {"other": self.row_name(seen_targets[target.pk])},
                    )
                    continue
                seen_targets[target.pk] = row.number
            todo.append((row, target))
        self._validate_rows(todo, context, len(rows))
        if self.progress:
            self.progress(len(rows), len(rows))
        good = [r for r in rows if r.instance is not None]
        self._check_unique(good)
        self.outcome.errors.sort(key=lambda e: e.order)  # by row, whichever step found them
        for row in good:
            if row.action == "update":
                self.outcome.versions[str(row.instance.pk)] = row.instance.version
        self.outcome.created = sum(1 for r in good if r.action == "create")
        self.outcome.updated = sum(1 for r in good if r.action == "update")
        self.outcome.unchanged = sum(1 for r in good if r.action == "unchanged")
        return good

    def _apply_defaults(self, rows: list[_Row], existing: dict) -> None:
        """The user's one chain or region, for new rows that give none (docs/imports.md)."""
        for name, value in self.scope_check.defaults().items():
            column = self.spec.columns[name]
            mapped = name in self.mapping.values()
            filled = 0
            for row in rows:
                if existing.get(row.number) is None and not row.cells.get(name):
                    row.cells[name] = str(value.pk)
                    filled += 1
            if not filled:
                continue
            if mapped:
                note = _("%(field)s: %(count)s new rows give none; set to %(value)s, your scope.")
            else:
                note = _("%(field)s: not given; set to %(value)s, your scope.")
            self.outcome.notes.append(note % {"field": column.label, "value": value, "count": filled})

    def _column_problems(self, lookups: dict[str, _Lookup]) -> set[str]:
        """Mapped relation columns whose values mostly find nothing: one error each (and no error per
        row for them)."""
        muted = set()
        mapped = set(self.mapping.values())
        for name, lookup in lookups.items():
            if name not in mapped:
                continue
            missing = lookup.missing()
            if len(lookup.wanted) < COLUMN_PROBLEM_MIN_VALUES or len(missing) * 2 <= len(lookup.wanted):
                continue
            column = self.spec.columns[name]
            examples = "、".join(missing[:3]) + ("…" if len(missing) > 3 else "")
            self.error(
                0,
                name,
                _(
                    "%(missing)s of the %(total)s values of this column match no %(what)s: is it the "
                    "right column? Map it to another field or to none."
                )
                % {
                    "missing": len(missing),
                    "total": len(lookup.wanted),
                    "what": column.related._meta.verbose_name,
                },
                examples,
            )
            muted.add(name)
        return muted

    def _validate_rows(self, todo: list[tuple[_Row, Any]], context: _CheckContext, total: int) -> None:
        """Validate each (row, the record it updates or None). A large file is split between worker
        processes (``IMPORT_PROCESSES``): the per-row work is Python through and through, so one
        process uses one core whatever the machine has."""
        from django.conf import settings

        processes = settings.IMPORT_PROCESSES if len(todo) >= settings.IMPORT_PARALLEL_ROWS else 1
        if processes < 2 or "fork" not in multiprocessing.get_all_start_methods():  # (Windows has no fork)
            for count, (row, target) in enumerate(todo, 1):
                if count % 1000 == 0:
                    gc.freeze()  # the rows checked so far live on: see run()
                    if self.progress:
                        self.progress(count, total)
                self._validate_row(row, target, context)
            return
        parallel._parallel_check(self, todo, context, processes, total)

    def _validate_row(self, row: _Row, target: Any, context: _CheckContext) -> None:
        """One row through the entity's form: ``row.instance`` is set when it passes, errors recorded
        when it does not."""
        lookups = context.lookups
        for lookup in lookups.values():
            if lookup.extra:  # values another row's record held are not this row's to pick
                lookup.extra = {}
        data: dict[str, Any] = {}
        if target is not None:
            row.label = str(target)
            row.existing = True
            row.before = audit.snapshot(target)
            data = form_data(target, context.form_fields)
            self._allow_current(lookups, target)
        failed = False
        for name, text in row.cells.items():
            if name == "id":
                continue
            if target is not None and text == "":
                continue  # a blank cell leaves the value as it is
            try:
                data[name] = self._convert(row, name, text, context.index_of.get(name))
            except ValidationError as exc:
                if name not in self.muted:
                    self.error(row.number, name, " ".join(exc.messages), text)
                failed = True
        if failed:
            return
        instance = target if target is not None else context.new()
        form = context.validator.validate(data, instance)
        if form.errors:
            # One error per cell, whatever number of messages the form has for it.
            for name, messages in form.errors.items():
                if name in self.muted:
                    continue
                text = row.cells.get(name, "")
                column = self.spec.columns.get(name)
                message = " ".join(messages)
                if column is not None and column.kind == "code" and excel_zeroed_digits(text):
                    message = excel_code_message()
                self.error(row.number, name if name != "__all__" else "", message, text)
            return
        related = {}
        for name, column in self.spec.columns.items():
            if column.many and name in form.cleaned_data:
                related[name] = list(form.cleaned_data[name] or [])
        action = "change" if target is not None else "add"
        outside = self.scope_check.problems(form.instance, related, action) if self.scope_check else []
        if outside:
            for name, value, message in outside:
                self.error(row.number, name, message, value)
            return
        row.instance = form.instance
        row.related.update(related)
        if target is not None:
            after = audit.snapshot(row.instance, {k: [o.pk for o in v] for k, v in row.related.items()})
            changes = audit.diff(row.before, after)
            row.changed = list(changes)
            row.action = "update" if changes else "unchanged"
        if len(self.outcome.preview) < PREVIEW_ROWS:
            self.outcome.preview.append(self._preview(row, form))

    def _allow_current(self, lookups: dict[str, _Lookup], target: models.Model) -> None:
        """Relation values the record already holds stay valid even where the user could not pick them."""
        for name, lookup in lookups.items():
            if lookup.column.many:
                for current in getattr(target, name).all():  # prefetched
                    lookup.extra.setdefault(str(current.pk), current)
                continue
            current = getattr(target, name, None)
            if current is not None:
                lookup.extra.setdefault(str(current.pk), current)

    def _preview(self, row: _Row, form) -> dict:
        cells = []
        for name in dict.fromkeys(self.mapping.values()):
            if name == "id":
                cells.append(str(row.instance.pk or ""))
                continue
            value = form.cleaned_data.get(name)
            if isinstance(value, list):
                value = "、".join(str(v) for v in value)
            elif isinstance(value, bool):
                value = _("Yes") if value else _("No")
            elif name in getattr(self.model, "money_fields", ()) and value is not None:
                from chainboard.formatting import yuan

                value = yuan(value)
            cells.append("" if value is None else str(value))
        sheet, number = self.where(row.number)
        return {"sheet": sheet, "row": number, "action": row.action, "cells": cells}

    def _existing(self, rows: list[_Row]) -> dict[int, Any]:
        """Row number -> the record its key names (or a RowError), for rows that carry a key."""
        out: dict[int, Any] = {}
        keys = [k for k in self.spec.keys if k in self.mapping.values()]
        if not keys:
            return out
        changeable = self.model.objects.restrict(self.user, "change")
        anywhere = self.model._base_manager.all()
        many = [f.name for f in self.model._meta.many_to_many]
        single = [
            c.name
            for c in self.spec.columns.values()
            if c.related is not None and not c.many and c.name != "id"
        ]
        normalise = getattr(self.model, "normalise_import_key", None)
        for key in keys:
            model_key = self.pk_or(key)
            values: dict[str, list[_Row]] = defaultdict(list)
            for row in rows:
                if row.number in out:
                    continue
                text = row.cells.get(key, "")
                if not text:
                    continue
                if self.spec.columns[key].kind == "code":
                    text = normalise_code(text)
                if normalise is not None:
                    text = normalise(key, text)
                values[text].append(row)
            field = self.model._meta.get_field(model_key)
            found: dict[str, models.Model] = {}
            texts = sorted(values)
            for start in range(0, len(texts), CHUNK):
                typed = _typed(field, texts[start : start + CHUNK])
                for obj in (
                    changeable.filter(**{f"{model_key}__in": typed})
                    .select_related(*single)
                    .prefetch_related(*many)
                ):
                    found[str(getattr(obj, model_key))] = obj
            missing = [t for t in texts if t not in found]
            elsewhere: set[str] = set()
            for start in range(0, len(missing), CHUNK):
                typed = _typed(field, missing[start : start + CHUNK])
                elsewhere |= {
                    str(v)
                    for v in anywhere.filter(**{f"{model_key}__in": typed}).values_list(model_key, flat=True)
                }
            for text, key_rows in values.items():
                if text in found:
                    message = None
                elif text in elsewhere:
                    message = _("This record is outside what you may change.")
                elif key == "id":
                    message = _("There is no record with this ID; leave the column blank to add one.")
                else:
                    continue  # a natural key that finds nothing: the row adds a record
                for row in key_rows:
                    out[row.number] = (
                        found[text]
                        if message is None
                        else RowError(
                            row.number, self._column_title(key), self.spec.columns[key].label, text, message
                        )
                    )
        return out

    def pk_or(self, key: str) -> str:
        return self.model._meta.pk.name if key == "id" else key

    def _check_unique(self, rows: list[_Row]) -> None:
        """Unique fields and unique constraints, within the file and against the database, in bulk."""
        meta = self.model._meta
        groups: list[tuple[tuple[str, ...], str]] = []
        for f in meta.concrete_fields:
            if f.unique and not f.primary_key:
                message = str(f.error_messages.get("unique", ""))
                params = _Params(field_label=f.verbose_name, model_name=meta.verbose_name)
                groups.append(((f.attname,), message % params))
        if not self.spec.auto_pk:
            groups.append(
                (
                    (meta.pk.attname,),
                    _("A record with this %(field)s already exists.") % {"field": meta.pk.verbose_name},
                )
            )
        for constraint in meta.constraints:
            if (
                isinstance(constraint, models.UniqueConstraint)
                and constraint.fields
                and constraint.condition is None
            ):
                names = tuple(meta.get_field(n).attname for n in constraint.fields)
                message = constraint.violation_error_message or _(
                    "A record with these values already exists."
                )
                if constraint.violation_error_message == constraint.default_violation_error_message:
                    labels = ", ".join(str(meta.get_field(n).verbose_name) for n in constraint.fields)
                    message = _("A record with the same %(fields)s already exists.") % {"fields": labels}
                groups.append((names, str(message)))
        for names, message in groups:
            column_name = self._field_name(names)
            seen: dict[tuple, int] = {}
            candidates: dict[tuple, list[_Row]] = defaultdict(list)
            for row in rows:
                values = tuple(getattr(row.instance, n) for n in names)
                if any(v is None for v in values):
                    continue
                if values in seen:
                    self.error(
                        row.number,
                        column_name,
                        _("Row %(other)s has the same value.") % {"other": self.row_name(seen[values])},
                        str(values[0]),
                    )
                    continue
                seen[values] = row.number
                candidates[values].append(row)
            keys = list(candidates)
            for start in range(0, len(keys), CHUNK):
                chunk = keys[start : start + CHUNK]
                firsts = {k[0] for k in chunk}
                existing = self.model._base_manager.filter(**{f"{names[0]}__in": firsts}).values_list(
                    "pk", *names
                )
                for pk, *values in existing:
                    for row in candidates.get(tuple(values), []):
                        if row.existing and row.instance.pk == pk:
                            continue
                        self.error(row.number, column_name, message, str(values[0]))

    def _field_name(self, attnames: tuple[str, ...]) -> str:
        for f in self.model._meta.concrete_fields:
            if f.attname in attnames and f.name in self.spec.columns:
                return f.name
        return ""

"""Checking and writing the related records a wide ledger fills (declared in ``imports.related``).

Each related record goes through its own entity's rules, as a row imported into that entity would: its
form (through :class:`RowValidator`, the parent taken from the row instead of a lookup), the
permission to add or change that entity, the scope after the write, one audit row per record under the
import's operation with the parent record named. The reads and writes are per related entity, not per
row: one query (per chunk) finds the records a re-import updates, one INSERT (per batch) adds the new
ones, ``bulk_update`` changes the others, and one count checks the scope of the new ones.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from chainboard import audit, bulkwrite, scope, search
from chainboard.forms import form_data
from chainboard.imports.headers import UNITS, normalise_header
from chainboard.imports.outcome import BATCH, CHUNK, RowError
from chainboard.imports.related import FilePeriod, RelatedColumn, RelatedImport, RelatedSpec, related_of
from chainboard.imports.rows import _Row
from chainboard.imports.validation import RowValidator
from chainboard.imports.values import LIST_SPLIT, convert
from chainboard.models.audit import AuditAction

_PLACEHOLDER = "1"  # the parent field's value in the form's data: the cleaner returns the row's record


class _ParentLookup:
    """Stands in for a relation lookup: the parent of a related record is the row's own record."""

    def __init__(self, column):
        self.column = column
        self.current: models.Model | None = None

    def resolve(self, value: str) -> models.Model:
        return self.current


@dataclass
class _Record:
    row: _Row
    instance: models.Model
    action: str = "create"  # or "update", "unchanged"
    before: dict | None = None
    changed: list[str] = field(default_factory=list)


class RelatedRows:
    """The related part of one import: the mapped related columns, their cells, checked records."""

    def __init__(self, importer, mapping: dict[str, str], period: FilePeriod):
        self.importer = importer
        self.period = period
        self.spec = RelatedSpec(importer.viewset, importer.user) if related_of(importer.viewset) else None
        columns = self.spec.columns if self.spec else {}
        self.mapping: dict[int, str] = {int(k): v for k, v in mapping.items() if v and v in columns}
        self.cells: list[tuple[_Row, dict[str, str]]] = []
        self.records: dict[str, list[_Record]] = {}

    # -- reading ----------------------------------------------------------------------------------
    def take(self, rows: list[_Row]) -> None:
        """Move the related columns' cells out of each row (the entity's own check never sees them)."""
        names = set(self.mapping.values())
        self.cells = []
        for row in rows:
            mine = {name: row.cells.pop(name) for name in names if name in row.cells}
            self.cells.append((row, mine))

    def header(self, name: str) -> str:
        for index, mapped in self.mapping.items():
            if mapped == name:
                headers = self.importer.headers
                return headers[index] if index < len(headers) else name
        return ""

    def ordered(self) -> list[str]:
        """The mapped related columns, in the file's order (the preview's extra cells)."""
        return [self.mapping[i] for i in sorted(self.mapping)]

    # -- checking ---------------------------------------------------------------------------------
    def check(self) -> None:
        if not self.mapping:
            return
        by_related: dict[str, list[RelatedColumn]] = defaultdict(list)
        for name in self.ordered():
            column = self.spec.columns[name]
            by_related[column.related.prefix].append(column)
        for columns in by_related.values():
            related = columns[0].related
            if (related.period or related.year) and not self._period_ok(related, columns):
                continue
            self.records[related.prefix] = self._check_related(related, columns)
            self._check_permission(related, columns)
        self._extend_preview()
        outcome = self.importer.outcome
        for prefix, records in self.records.items():
            counts = {"created": 0, "updated": 0, "unchanged": 0}
            for record in records:
                counts[{"create": "created", "update": "updated"}.get(record.action, "unchanged")] += 1
            outcome.related[prefix] = counts
        outcome.errors.sort(key=lambda e: e.row)

    def _period_ok(self, related: RelatedImport, columns: list[RelatedColumn]) -> bool:
        fixed = self.period.fixed(related)
        if (related.period and not self.period.chosen) or (related.year and fixed.get("year") is None):
            self._error(
                0,
                columns,
                _("Choose the period these columns are for (on the command line: --period annual:2025)."),
            )
            return False
        return True

    def _error(self, row: int, columns: list[RelatedColumn], message: str, value: str = "") -> None:
        titles = "、".join(self.header(c.name) for c in columns)
        labels = "、".join(c.label for c in columns)
        self.importer._record(RowError(row, titles, labels, value[:100], message))

    def _check_permission(self, related: RelatedImport, columns: list[RelatedColumn]) -> None:
        """A related entity the user may not write is an error naming its columns, never a silent drop."""
        records = self.records.get(related.prefix, [])
        verbose = related.model._meta.verbose_name_plural
        for action, message in (
            ("create", _("You may not add %(what)s, which these columns fill; map them to “ignore”.")),
            ("update", _("You may not change %(what)s, which these columns fill; map them to “ignore”.")),
        ):
            if any(r.action == action for r in records):
                permission = "add" if action == "create" else "change"
                if not scope.has_permission(self.importer.user, permission, related.model):
                    self._error(0, columns, message % {"what": verbose})

    def _existing(self, related: RelatedImport, fixed: dict[str, Any]) -> dict[tuple, models.Model]:
        """(parent id, key values) -> the record a re-import updates, for the rows' existing records."""
        parent_att = related.model._meta.get_field(related.parent).attname
        parents = sorted({r.instance.pk for r, _cells in self.cells if r.instance is not None and r.existing})
        found: dict[tuple, models.Model] = {}
        for start in range(0, len(parents), CHUNK):
            chunk = parents[start : start + CHUNK]
            for obj in related.model._base_manager.filter(**{f"{parent_att}__in": chunk}, **fixed):
                found[(getattr(obj, parent_att), *(_key(getattr(obj, k)) for k in related.key))] = obj
        return found

    def _check_related(self, related: RelatedImport, columns: list[RelatedColumn]) -> list[_Record]:
        fixed = self.period.fixed(related)
        spec = self.spec.specs[related.prefix]
        parent = _ParentLookup(spec.columns[related.parent])
        validator = RowValidator(spec, {related.parent: parent})
        new = bulkwrite.builder(related.model)
        form_fields = [n for n in spec.columns if n != "id"]
        existing = self._existing(related, fixed)
        factors = {c.name: UNITS.get(normalise_header(self.header(c.name))[1], 1) for c in columns}
        records: list[_Record] = []
        for row, cells in self.cells:
            texts = {c.field: cells.get(c.name, "") for c in columns}
            if not any(texts.values()):
                continue
            parent.current = row.instance if row.instance is not None else new_parent(self.importer)
            for values in _split(related, texts):
                record = self._check_one(
                    related, columns, row, values, fixed, factors, (validator, new, form_fields, existing)
                )
                if record is not None:
                    records.append(record)
        return records

    def _check_one(self, related, columns, row, values, fixed, factors, tools) -> _Record | None:
        validator, new, form_fields, existing = tools
        by_field = {c.field: c for c in columns}
        converted: dict[str, Any] = {}
        for name, text in values.items():
            if text == "":
                continue  # a blank cell leaves the value as it is (or the field blank on a new record)
            column = by_field[name]
            try:
                converted[name] = convert(column.column, text, factors[column.name])
            except ValidationError as exc:
                self._error(row.number, [column], " ".join(exc.messages), text)
                return None
        key = tuple(_key(converted.get(k, "")) for k in related.key)
        target = None
        if row.instance is not None and row.existing:
            target = existing.get((row.instance.pk, *key))
        if target is not None:
            before = audit.snapshot(target)
            data = form_data(target, form_fields, {**converted, related.parent: _PLACEHOLDER})
            instance = target
        else:
            before = None
            data = {**{k: v for k, v in fixed.items() if v is not None}, **converted}
            data[related.parent] = _PLACEHOLDER
            instance = new()
        form = validator.validate(data, instance)
        if form.errors:
            for name, messages in form.errors.items():
                column = by_field.get(name)
                for message in messages:
                    if column is not None:
                        self._error(row.number, [column], message, values.get(name, ""))
                    else:
                        self._error(row.number, columns, message)
            return None
        record = _Record(row, form.instance, before=before)
        if target is not None:
            record.changed = list(audit.diff(before, audit.snapshot(form.instance)))
            record.action = "update" if record.changed else "unchanged"
        return record

    def _extend_preview(self) -> None:
        """The preview's rows get one cell per related column, as the record will be saved."""
        preview = self.importer.outcome.preview
        if not preview:
            return
        wanted = {id(p): p for p in preview}
        by_number: dict[int, list[dict]] = defaultdict(list)
        for p in wanted.values():
            by_number[p["row"]].append(p)
        shown: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for prefix, records in self.records.items():
            for record in records:
                if record.row.number not in by_number:
                    continue
                for name in self.ordered():
                    column = self.spec.columns[name]
                    if column.related.prefix == prefix:
                        shown[record.row.number][name].append(_display(record.instance, column))
        for number, entries in by_number.items():
            for entry in entries:
                entry["cells"] = [
                    *entry["cells"],
                    *("、".join(v for v in shown[number][n] if v) for n in self.ordered()),
                ]

    # -- writing ----------------------------------------------------------------------------------
    def write(self, *, commit: bool) -> None:
        """Write the checked records (after the entity's own rows, which gave new parents their ids)."""
        entries = []
        for prefix, records in self.records.items():
            related = self.spec.columns[next(n for n in self.ordered() if n.startswith(f"{prefix}."))].related
            entries.append(self._write_related(related, records))
        if self.importer.outcome.ok and commit:
            audit.record_many(itertools.chain.from_iterable(entries))

    def _write_related(self, related: RelatedImport, records: list[_Record]) -> Iterator[dict]:
        """Write the records; their audit values come as they are asked for (a batch at a time)."""
        model = related.model
        parent_field = model._meta.get_field(related.parent)
        creates = [r for r in records if r.action == "create"]
        updates = [r for r in records if r.action == "update"]
        for record in creates:
            setattr(record.instance, parent_field.attname, record.row.instance.pk)
            parent_field.set_cached_value(record.instance, record.row.instance)
        bulkwrite.insert_new(model, [r.instance for r in creates])
        by_attname = {f.attname: f.name for f in model._meta.concrete_fields}
        now = timezone.now()
        for start in range(0, len(updates), BATCH):
            batch = updates[start : start + BATCH]
            names = sorted({by_attname[n] for r in batch for n in r.changed if n in by_attname})
            for r in batch:
                r.instance.version += 1
                r.instance.updated_at = now
            model.objects.bulk_update([r.instance for r in batch], [*names, "version", "updated_at"])
        # The related entity's search index (products, contacts) in the import's transaction, as the
        # import's own rows are (on SQLite its triggers have done it; nothing for an unindexed entity).
        search.index_many(model, [r.instance for r in creates], fresh=True)
        search.index_many(model, [r.instance for r in updates], fresh=False)
        self._check_scope(model, creates, "add")
        self._check_scope(model, updates, "change")
        created = (
            audit.values(
                AuditAction.CREATE, r.instance, after=audit.snapshot(r.instance), parent=r.row.instance
            )
            for r in creates
        )
        updated = (
            audit.values(
                AuditAction.UPDATE,
                r.instance,
                before=r.before,
                after=audit.snapshot(r.instance),
                parent=r.row.instance,
            )
            for r in updates
        )
        return itertools.chain(created, updated)

    def _check_scope(self, model: type[models.Model], records: list[_Record], action: str) -> None:
        """As every action does, after the write: a record outside the user's scope rolls all back."""
        pks = [r.instance.pk for r in records]
        if not pks:
            return
        restricted = model.objects.restrict(self.importer.user, action)
        low, high = min(pks), max(pks)
        if high - low + 1 == len(pks) and restricted.filter(pk__gte=low, pk__lte=high).count() == len(pks):
            return  # new ids are consecutive (chainboard/bulkwrite.py): one count answers for all
        allowed: set = set()
        for start in range(0, len(pks), CHUNK):
            allowed.update(restricted.filter(pk__in=pks[start : start + CHUNK]).values_list("pk", flat=True))
        for r in records:
            if r.instance.pk not in allowed:
                self.importer._record(
                    RowError(
                        r.row.number,
                        "",
                        str(model._meta.verbose_name),
                        "",
                        _("The result would be outside your scope."),
                    )
                )


def new_parent(importer) -> models.Model:
    """A stand-in parent for a row whose own record failed its check: its related cells are still
    checked, so that every error of the file is reported at once."""
    return importer.model()


def _key(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def _split(related: RelatedImport, texts: dict[str, str]) -> list[dict[str, str]]:
    """One set of cell values per record: a ``split`` cell lists several (each name once)."""
    if not related.split or not texts.get(related.split):
        return [texts]
    names = list(dict.fromkeys(v for v in LIST_SPLIT.split(texts[related.split]) if v))
    return [{**texts, related.split: name} for name in names]


def _display(instance: models.Model, column: RelatedColumn) -> str:
    value = getattr(instance, column.field, None)
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if column.column.money:
        from chainboard.formatting import yuan

        return str(yuan(value))
    return str(value)

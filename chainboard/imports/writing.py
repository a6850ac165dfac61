"""Writing checked rows in one transaction: records, relations, audit, search index."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from chainboard import audit, bulkwrite, scope, search
from chainboard.imports.outcome import BATCH, CHUNK
from chainboard.imports.rows import _Row
from chainboard.models.audit import AuditAction


class Writing:
    """The importer's write: checked rows in one transaction with their audit and search index."""

    def _write(self, rows: list[_Row], *, commit: bool, versions: dict[str, int] | None):
        creates = [r for r in rows if r.action == "create"]
        updates = [r for r in rows if r.action == "update"]
        if versions is not None and updates:
            self._check_versions(updates, versions)
            if not self.outcome.ok:
                return
        for action, wanted in (("add", creates), ("change", updates)):
            if wanted and not scope.has_permission(self.user, action, self.model):
                raise PermissionDenied(_("You may not do this."))
        bulkwrite.insert_new(self.model, [r.instance for r in creates])
        for start in range(0, len(updates), BATCH):
            batch = updates[start : start + BATCH]
            # The snapshot names foreign keys by column attribute (region_id); bulk_update wants names.
            by_attname = {f.attname: f.name for f in self.model._meta.concrete_fields}
            names = sorted({by_attname[n] for r in batch for n in r.changed if n in by_attname})
            now = timezone.now()
            for r in batch:
                r.instance.version += 1
                r.instance.updated_at = now
            self.model.objects.bulk_update(
                [r.instance for r in batch],
                [*names, "version", "updated_at"] if names else ["version", "updated_at"],
            )
        through_rows = self._write_related(creates + updates)
        # Scope after the write, as every action does: a row the user could not reach rolls all back.
        self._check_scope(creates, "add")
        self._check_scope(updates, "change")
        if not self.outcome.ok:
            return
        if not commit:
            return
        model = self.model

        def entries():  # made as record_many takes them, a batch at a time: never all in memory
            for r in creates:
                related = {k: [o.pk for o in v] for k, v in r.related.items()}
                after = audit.snapshot(r.instance, _all_related(model, related))
                yield audit.values(AuditAction.CREATE, r.instance, after=after)
            for r in updates:
                related = {k: [o.pk for o in v] for k, v in r.related.items()}
                after = audit.snapshot(r.instance, {**_current_related(r.before, model), **related})
                yield audit.values(AuditAction.UPDATE, r.instance, before=r.before, after=after)
            yield from through_rows

        audit.record_many(entries())  # hash-chained in the same pass (chainboard/auditchain.py)
        return creates, updates

    def _check_versions(self, updates: list[_Row], versions: dict[str, int]) -> None:
        pks = [r.instance.pk for r in updates]
        current = {}
        for start in range(0, len(pks), CHUNK):
            chunk = pks[start : start + CHUNK]
            current.update(
                self.model._base_manager.select_for_update().filter(pk__in=chunk).values_list("pk", "version")
            )
        for r in updates:
            seen = versions.get(str(r.instance.pk))
            if seen is not None and current.get(r.instance.pk) != seen:
                self.error(
                    r.number,
                    self.spec.keys[0] if self.spec.keys else "",
                    _("%(record)s was changed by someone else after the check; check the file again.")
                    % {"record": r.label or r.instance},
                )

    def _check_scope(self, rows: list[_Row], action: str) -> None:
        pks = [r.instance.pk for r in rows]
        if not pks:
            return
        allowed: set = set()
        restricted = self.model.objects.restrict(self.user, action)
        if action == "add" and isinstance(pks[0], int):
            # New rows got consecutive ids reserved for this transaction (chainboard/bulkwrite.py):
            # one count over that range answers for all of them; only a shortfall is looked at row by row.
            low, high = min(pks), max(pks)
            if high - low + 1 == len(pks) and restricted.filter(pk__gte=low, pk__lte=high).count() == len(
                pks
            ):
                return
        for start in range(0, len(pks), CHUNK):
            chunk = pks[start : start + CHUNK]
            allowed.update(restricted.filter(pk__in=chunk).values_list("pk", flat=True))
        for r in rows:
            if r.instance.pk not in allowed:
                self.error(r.number, "", _("The result would be outside your scope."))

    def _write_related(self, rows: list[_Row]) -> Iterator[dict]:
        """Many-to-many values. A custom through model (an enterprise's memberships) is a record of
        its own: each row added or removed gets its own audit row with the record as parent."""
        entries = []
        for f in self.model._meta.many_to_many:
            mine = [r for r in rows if f.name in r.related]
            if not mine:
                continue
            through = f.remote_field.through
            source = f.m2m_field_name()
            target = f.m2m_reverse_field_name()
            source_att = through._meta.get_field(source).attname
            target_att = through._meta.get_field(target).attname
            current: dict[Any, set] = defaultdict(set)
            existing_pks = [r.instance.pk for r in mine if r.existing]
            for start in range(0, len(existing_pks), CHUNK):
                chunk = existing_pks[start : start + CHUNK]
                for s, t in through._base_manager.filter(**{f"{source_att}__in": chunk}).values_list(
                    source_att, target_att
                ):
                    current[s].add(t)
            add, remove = [], []
            owners = {}
            # Built by id with the two related objects cached (as the descriptors would leave them):
            # at 100,000 rows the descriptors' checks cost more than the rest of the row.
            source_field, target_field = through._meta.get_field(source), through._meta.get_field(target)
            build = bulkwrite.builder(through)
            for r in mine:
                wanted = {o.pk for o in r.related[f.name]}
                have = current.get(r.instance.pk, set())
                owners[r.instance.pk] = r.instance
                targets = {o.pk: o for o in r.related[f.name]}
                carried = scope.carried_values(through, source, r.instance)  # a membership's region
                for t in sorted(wanted - have):
                    obj = build(**{source_att: r.instance.pk, target_att: t, **carried})
                    source_field.set_cached_value(obj, r.instance)
                    target_field.set_cached_value(obj, targets[t])
                    add.append(obj)
                remove += [(r.instance.pk, t) for t in sorted(have - wanted)]
            audited = not through._meta.auto_created
            if remove:
                by_source = defaultdict(list)
                for s, t in remove:
                    by_source[s].append(t)
                for s, targets in by_source.items():
                    gone = through._base_manager.filter(**{source_att: s, f"{target_att}__in": targets})
                    if audited:
                        entries.append(
                            [
                                audit.values(
                                    AuditAction.DELETE, obj, before=audit.snapshot(obj), parent=owners[s]
                                )
                                for obj in gone
                            ]
                        )
                    gone.delete()
            if add:
                bulkwrite.insert_new(through, add)
                if audited:
                    entries.append(_created(add, owners, source_att))
        return itertools.chain.from_iterable(entries)

    def _index(self, creates: list[_Row], updates: list[_Row]) -> None:
        """The search index of the written rows, inside the import's transaction (chainboard.search; on
        SQLite the table's triggers have done it as the rows were written)."""
        fields = search.search_fields(self.model)
        if not fields:
            return
        todo = [(r.instance, True) for r in creates]
        todo += [(r.instance, False) for r in updates if set(r.changed) & set(fields)]
        for start in range(0, len(todo), BATCH * 2):
            batch = todo[start : start + BATCH * 2]
            search.index_many(self.model, [o for o, fresh in batch if fresh], fresh=True)
            search.index_many(self.model, [o for o, fresh in batch if not fresh], fresh=False)
            if self.progress:
                self.progress(min(start + BATCH * 2, len(todo)), len(todo))


def _created(objs: list, owners: dict, source_att: str) -> Iterator[dict]:
    """The audit values of new through rows (memberships), each under its record, as they are asked for."""
    for obj in objs:
        yield audit.values(
            AuditAction.CREATE, obj, after=audit.snapshot(obj), parent=owners[getattr(obj, source_att)]
        )


def _all_related(model, known: dict[str, list]) -> dict[str, list]:
    """A new record's many-to-many ids: what the file gave, empty for the rest (nothing to query)."""
    return {f.name: known.get(f.name, []) for f in model._meta.many_to_many}


def _current_related(before: dict | None, model) -> dict[str, list]:
    before = before or {}
    return {f.name: before.get(f.name, []) for f in model._meta.many_to_many}

"""Facet counts beside a list's filters: how many rows in scope each value of a filter would give.

A facet is declared on the ViewSet as (filter name, ORM path). Each facet counts over the list as
filtered by every *other* filter (so choosing a value does not hide the alternatives), in one grouped
query per facet, whatever the page size.
"""

from __future__ import annotations

from django.db.models import BooleanField, Count, F
from django.http import QueryDict
from django.utils.translation import gettext as _

from chainboard import keptcounts, scope
from chainboard.filters import counted_keys, id_list


def facet_counts(viewset, request, base_queryset, filterset=None) -> list[dict]:
    """The facets of ``viewset``'s list over ``base_queryset`` (the rows in scope). ``filterset``: the
    list's own filter set, bound to the request, when the page has built it already; each facet then
    applies its cleaned values but its own, rather than building and validating a filter set of its own
    (a filter set's filters and form are deep copies of the class's: a few ms each per facet)."""
    out = []
    model = viewset.model
    if filterset is None:
        filterset = viewset.filterset_class(request.GET or None, queryset=base_queryset, request=request)
    for name, path in getattr(viewset, "facets", ()):
        params: QueryDict = request.GET.copy()
        current = params.pop(name, [None])[-1]
        for key in ("page", "page_size", "sort", "export"):
            params.pop(key, None)
        queryset = _filtered_but(filterset, name, base_queryset)
        # The list's rows read once, when this facet's own filter is not set (ScopedFilterSet.counted_ids).
        valid = filterset.is_bound and filterset.is_valid()
        ids = filterset.counted_ids_but(name) if valid else None
        # Else, where the far rows carry every filter but this one: those far rows by their own index.
        carried = filterset.far_condition_but(name, path) if ids is None else None
        rows = _grouped(queryset, path, request.user, ids, carried)
        field = _final_field(model, path)
        labels = _labels(field, [r[path] for r in rows])
        values = []
        for row in rows:
            value = row[path]
            if value is None:
                continue
            query = params.copy()
            query[name] = value if not isinstance(value, bool) else str(value).lower()
            values.append(
                {
                    "label": labels.get(value, value),
                    "count": row["n"],
                    "query": query.urlencode(),
                    "active": current is not None and str(current).lower() == str(value).lower(),
                }
            )
        # The bound filter set's label: the field's translated verbose name (chainboard/filters.py),
        # never the filter's raw name ("period_type", "upstream__chain").
        out.append({"name": name, "label": filterset.filters[name].label, "values": values})
    return out


def _filtered_but(filterset, name: str, base_queryset):
    """``base_queryset`` filtered by every filter of the bound ``filterset`` but ``name``: none when another
    filter's value is not valid (as the list itself then shows nothing)."""
    if not filterset.is_bound:
        return base_queryset
    errors = set(filterset.form.errors) - {name}
    if errors:
        return base_queryset.none()
    return filterset.filter_queryset(base_queryset.all(), skip=name)


def _grouped(queryset, path: str, user, ids: list | None = None, carried=None) -> list[dict]:
    """[{path: value, "n": rows}] for the 12 most frequent values of ``path`` over ``queryset``.

    Through a one-to-many relation (an enterprise's memberships) the rows are grouped straight off the
    far table: restricted to the user's scope too, so a membership on a chain the user may not see counts
    nowhere (neither its chain nor its role), and limited to the rows of ``queryset`` only when
    ``queryset`` has a condition at all (a scope over everything and no other filter: no
    ``enterprise_id IN (SELECT id FROM enterprises_enterprise)``). A row is counted once per value by
    ``COUNT(*)`` when the far table cannot hold two rows with the same value for one row of ``queryset``
    (a unique constraint on both columns), else by ``COUNT(DISTINCT …)``. Still one query. ``ids``: the
    rows of ``queryset`` read once (:meth:`ScopedFilterSet.counted_ids`), which the far table then
    selects by its key directly (PostgreSQL, 3,789 enterprises of a county and a chain: the role facet
    41 → 10 ms). ``carried``: a condition on the far table that selects the far rows of ``queryset``'s rows
    (``ScopedFilterSet.far_condition_but``: a region the memberships carry), used instead of selecting
    them by ``queryset``'s keys.
    """
    model = queryset.model
    first, _sep, rest = path.partition("__")
    field = model._meta.get_field(first)
    related = field.related_model if field.one_to_many else None
    if related is not None and rest and hasattr(related.objects.all(), "restrict"):
        remote = field.field.name
        # Restricting the far side costs a second pass over the scope (at province scale a county
        # user's facet took twice the raw query, bench/README.md); skip it when it adds nothing.
        far = related.objects.all()
        if not _scope_implied(model, related, remote, user):
            far = related.objects.restrict(user, "view")
        stand_in = counted_keys(queryset)
        if carried is not None:
            far = far.filter(carried)
        elif ids is not None:
            far = far.filter(**{f"{remote}__in": id_list(ids)})
        elif stand_in is not None:
            # The rows' keys read off the far rows that stand for them (ScopedQuerySet.count_from): the
            # chain's memberships instead of the enterprises tested one by one (the role facet
            # of the office's silk chain over a million enterprises: 877-1,037 → 600 ms on SQLite).
            far = far.filter(**{f"{remote}__in": stand_in})
        elif queryset.query.where or queryset.query.is_empty():
            far = far.filter(**{f"{remote}__in": queryset.order_by().values("pk")})
        elif not far.query.where and (kept := keptcounts.counts(related, remote, rest)) is not None:
            # Every far row counts: the counts kept on write, not a grouping of the whole far table
            # (PostgreSQL, the role facet over 931,000 memberships: 150 ms).
            rows = _top([{rest: value, "n": n} for value, n in kept], rest, _final_field(model, path))
            return [{path: row[rest], "n": row["n"]} for row in rows]
        count = Count("*") if scope.unique_together(related, remote, rest) else Count(remote, distinct=True)
        rows = _top(far.order_by().values(rest).annotate(n=count), rest, _final_field(model, path))
        return [{path: row[rest], "n": row["n"]} for row in rows]
    if queryset.query.distinct or scope.is_multi_valued(model, path):
        count = Count("pk", distinct=True)
    else:
        # COUNT(*), not COUNT(id): PostgreSQL can then count from an index on the grouped column alone
        # (an index-only scan), where COUNT(id) reads the table for the id (the projects' light facet
        # over 200,000 rows: 160 ms against 80; bench/README.md, "Issue 14: projects").
        count = Count("*")
    return _top(queryset.order_by().values(path).annotate(n=count), path, _final_field(model, path))


def _top(grouped, key: str, field) -> list[dict]:
    """The 12 largest groups, equal counts in the order of their values (a choice's declared order, a
    region's code, a chain's key), so that a facet's order and its cut at 12 do not change from one
    request or database to the next. A field with a few values by declaration (choices, a boolean) is
    sorted here rather than by the database: an ``ORDER BY count`` makes SQLite put a
    ``COUNT(DISTINCT …)`` into a temporary B-tree instead of reading it in order from an index (the role
    facet over a million memberships: 1.3 s against 0.5 s). Groups given as a list (counts kept on
    write) are sorted here too."""
    if isinstance(grouped, list) or getattr(field, "choices", None) or isinstance(field, BooleanField):
        declared = {value: i for i, (value, _label) in enumerate(getattr(field, "choices", None) or ())}

        def order(row):
            value = row[key]
            return (
                -row["n"],
                value is None,
                declared.get(value, len(declared)),
                "" if value is None else value,
            )

        return sorted(grouped, key=order)[:12]
    # F(): a foreign key's own column, not its model's ordering (which would join the related table).
    return list(grouped.order_by("-n", F(key).asc())[:12])


def _scope_implied(model, related, remote: str, user) -> bool:
    """Does every grant that shows a row of ``model`` also show every ``related`` row pointing at it
    through ``remote``? Then the rows of ``related`` whose ``remote`` is in a restricted queryset of
    ``model`` are all in the user's scope, and restricting them again changes nothing.

    True when each grant allowing to view ``model`` allows to view ``related`` too, and each of its
    conditions on ``related`` follows ``remote`` to the same condition on ``model`` (a county grant:
    a membership's ``enterprise__region__path`` is its enterprise's ``region__path``). A chain grant
    is not implied (an enterprise on chain A may also be on chain B, whose membership stays hidden).
    """
    model_perm = scope.permission_name(model, "view")
    related_perm = scope.permission_name(related, "view")
    model_paths = getattr(model, "scope_paths", {})
    related_paths = getattr(related, "scope_paths", {})
    for grant in scope.grants(user):
        if not grant.allows(model_perm) or scope.excluded(model, grant):
            continue
        if not grant.allows(related_perm):
            return False
        if scope.excluded(related, grant) and not scope.excluded(model, grant):
            return False
        for dimension in scope.DIMENSIONS:
            if grant.value(dimension) is None or dimension not in related_paths:
                continue
            if dimension not in model_paths:
                return False
            path = model_paths[dimension]
            if related_paths[dimension] != (remote if path == "pk" else f"{remote}__{path}"):
                return False
    return True


def _final_field(model, path: str):
    current, field = model, None
    for part in path.split("__"):
        field = current._meta.get_field(part)
        if field.is_relation and field.related_model is not None:
            current = field.related_model
    return field


def _labels(field, values) -> dict:
    if field is None:
        return {}
    if field.is_relation and field.related_model is not None:
        return {
            o.pk: str(o) for o in field.related_model._base_manager.filter(pk__in=[v for v in values if v])
        }
    if getattr(field, "choices", None):
        return dict(field.flatchoices)
    if any(isinstance(v, bool) for v in values):
        return {True: _("Yes"), False: _("No")}
    return {}

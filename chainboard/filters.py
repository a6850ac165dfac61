"""Filter set base shared by list pages and the API: scoped choices and a ``q`` text search."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import django_filters
from django import forms
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist, FieldError
from django.db import connection, models
from django.db.models import ForeignObjectRel, Q
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES

from chainboard import scope, search
from chainboard.converters import is_integer_pk
from chainboard.forms import LookupChoiceField, StyledFormMixin

# Filters whose ``filter`` is "``field_name__lookup_expr = value``", nothing more.
_PLAIN_FILTERS = (django_filters.Filter.filter, django_filters.ChoiceFilter.filter)

# A searched list (``q``) counts its matches up to this many and then says "more than" (the page and the
# API alike): counting every match of a common term reads every one of them (有限 over a million
# enterprises: 244 ms for the count, 610 ms for each facet), where the page needs 25. Facets are counted
# only below it. docs/lists.md, "Searched lists: a capped count".
SEARCH_COUNT_CAP = 10_000
# A filtered list of at most this many rows reads their ids once for its page, count and facets
# (ScopedFilterSet.filtered_ids); past it, each asks the database as before (a city's 22,800 rows by id
# cost more than the filters: the page 5 → 159 ms on PostgreSQL).
ROWS_ONCE = 5_000
# Past ROWS_ONCE and up to this many, the ids read still give the count and the facets (ScopedFilterSet.
# counted_ids), while the page filters as before: reading the ids costs what counting the rows did (both
# test every row the filters select), and each facet then selects the far rows of those ids instead of
# testing the rows again (a city and a chain over a million enterprises, 22,800 rows: the page 496-549 →
# 410 ms on SQLite; docs/lists.md, "Filtered lists"). Not where the rows are counted off far keys.
ROWS_COUNTED = 50_000
# A list over every row whose only filters are across to-many relations is counted from the far rows of
# its most selective filter when they are at most this many (ScopedFilterSet._driver). Each filter's far
# rows are counted up to it to learn which is smallest (a few ms for 50,000 index entries); past it the
# rows are tested one by one as before.
DRIVE_CAP = 50_000
# A filtered list past ROWS_ONCE, on SQLite, looks for its page among the first rows of the reader's scope
# in the page's order (windowed_page): this many times as many as the list's share of the table says
# hold the page ...
WINDOW_MARGIN = 3
# ... when that is at most this many rows (each read in order and checked against the filters: about
# 3 µs a row on SQLite at a million enterprises).
WINDOW_MOST = 8_000


def capped_count(queryset: models.QuerySet, cap: int | None = None) -> tuple[int, bool]:
    """(rows, capped): the rows of ``queryset`` counted up to ``cap`` (``SEARCH_COUNT_CAP``), and whether
    there are more. One query, ``COUNT(*)`` over the first ``cap + 1`` rows met in no order: it stops
    early."""
    cap = SEARCH_COUNT_CAP if cap is None else cap
    found = queryset.order_by()[: cap + 1].count()
    return min(found, cap), found > cap


def id_list(ids: list[int]) -> RawSQL:
    """A subquery of ``ids`` as one parameter (``pk__in=id_list(ids)``): a JSON array read by
    ``json_each`` on SQLite, an array on PostgreSQL; not one placeholder per id."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", (list(ids),), output_field=models.BigIntegerField())
    return RawSQL(
        "SELECT value FROM json_each(%s)", (json.dumps(list(ids)),), output_field=models.BigIntegerField()
    )


def counted_keys(queryset: models.QuerySet) -> models.QuerySet | None:
    """The keys of ``queryset``'s rows as a flat subquery of the rows its count is taken from
    (``ScopedQuerySet.counted``: a chain's memberships, or the rows selected from the far rows of a
    filter, ``ScopedFilterSet._driver``), when they are other than ``queryset`` itself and name its rows
    by their key or by one foreign key to its model; else None."""
    counted = queryset.counted() if hasattr(queryset, "counted") else queryset
    if counted is queryset:
        return None
    if counted.model is queryset.model:
        return counted.order_by().values_list("pk", flat=True)
    keys = [
        f for f in counted.model._meta.concrete_fields if f.many_to_one and f.related_model is queryset.model
    ]
    return counted.order_by().values_list(keys[0].name, flat=True) if len(keys) == 1 else None


def is_searched(filterset) -> bool:
    """Whether a bound, valid filter set has a search term (``q``)."""
    return bool(
        filterset is not None
        and filterset.is_bound
        and "q" in filterset.filters
        and filterset.is_valid()
        and filterset.form.cleaned_data.get("q")
    )


def list_count(queryset: models.QuerySet, filterset=None) -> tuple[int, bool]:
    """(rows, capped) of a list page or an API list: what a read of its rows or matches already counted
    (:meth:`ScopedFilterSet.known_count`), a searched list's count up to ``SEARCH_COUNT_CAP``, or the
    exact count of ``queryset``."""
    known = filterset.known_count() if filterset is not None else None
    if known is not None:
        return known
    if is_searched(filterset):
        return capped_count(queryset)
    return queryset.order_by().count(), False


def sorted_page(queryset: models.QuerySet, filterset, stop: int) -> models.QuerySet | None:
    """A searched list's first ``stop`` rows in its order, as the rows of their keys read and sorted
    (``search.sorted_ids``), where its page would otherwise walk its order to matches that sort together
    far into it (``search.far_into_order``, judged on the matches the filter set read); None: the page is
    read from ``queryset`` as it is. Only past the search's cap: up to it the page selects its matches by
    key and sorts them already. A term just past the cap whose matches sort together late (10,033
    enterprises whose names start with 高平, after 97 % of a million names) was walked to row by row:
    SQLite 0.3-0.4 s for its list page and its API list, PostgreSQL 8.5 s (docs/lists.md). So was a term
    tested on a county's own rows (``search.checks_rows``, PostgreSQL): no walk of ours, but the planner
    walks the name index and tests each row, 972,793 rows for the county user's first 25 of 高平 (2.1 s
    for the page)."""
    matches = filterset._matches if is_searched(filterset) else None
    if matches is None or len(matches) <= SEARCH_COUNT_CAP:
        return None
    if not search.walks_order(queryset[:stop]) and not search.checks_rows(queryset):
        return None
    if not search.far_into_order(queryset, filterset.queryset, matches):
        return None
    ids = search.sorted_ids(queryset, stop)
    if ids is None:
        return None
    return filterset.queryset.filter(pk__in=ids).order_by(*queryset.query.order_by)


def windowed_page(queryset: models.QuerySet, filterset, stop: int, rows: int) -> models.QuerySet | None:
    """A filtered list's first ``stop`` rows in its order, on SQLite, where its plan would sort every row
    its filters select: found among the first rows of the reader's scope in that order (a window), or
    else by the ids of its rows read for its count; None: the page is read from ``queryset`` as it is.

    SQLite answers a page of filters that select many rows (``rows``, the list's count, past
    ``ROWS_ONCE``), one of them across a to-many relation (tested per row), from the index of their most
    selective condition and sorts every row it selects
    (:func:`_sorts_every_row`): a city and a chain over a million enterprises, 22,800 rows, 101-114 ms for
    a page of 25 by name. PostgreSQL walks the order's index to the page instead (6 ms). The window is the
    first rows of the scope in the page's order, ``WINDOW_MARGIN`` times as many as the list's share of the
    table says hold the page, read by that index (3,300 names' ids) and checked against the filters: about
    10 ms. The page's rows are those rows when the window holds ``stop`` of them: every row before the
    window's last is in the window. When it holds fewer (the rows sort together later in the order), or
    the window would pass ``WINDOW_MOST`` rows (a deeper page), the rows' ids read for the count
    (``ScopedFilterSet.counted_ids``, up to ``ROWS_COUNTED``) are read and sorted instead, which costs a
    third to a half of the filters' sort (they need no test of the filters); without them, the filters
    as before. Not for a searched list, which has its own plans (``sorted_page``, chainboard.search); only
    for an order whose first column is indexed. docs/lists.md, "A page found in a window"."""
    if connection.vendor != "sqlite" or filterset is None or rows <= ROWS_ONCE or stop <= 0:
        return None
    if queryset.query.is_sliced:
        return None
    if not filterset.is_bound or not filterset.is_valid() or is_searched(filterset):
        return None
    model, order = queryset.model, list(queryset.query.order_by)
    if not filterset._tests_across() or not is_integer_pk(model) or not search._plain_order(order):
        return None
    if not search._indexed_first(model, order[0]) or not _sorts_every_row(queryset[:stop]):
        return None
    window = math.ceil(stop * WINDOW_MARGIN * search.table_size(model) / rows)
    if window <= WINDOW_MOST:
        first = search.first_ids(filterset.queryset.order_by(*order), window)
        ids = list(queryset.filter(pk__in=id_list(first)).values_list("pk", flat=True)[:stop])
        if len(ids) == stop:
            return filterset.queryset.filter(pk__in=id_list(ids)).order_by(*order)
    found = filterset.counted_ids()
    if found is None:
        # Counted off far keys (ScopedFilterSet._driver): those keys, read now, unless too many.
        keys = counted_keys(queryset)
        found = list(keys[: ROWS_COUNTED + 1]) if keys is not None else None
        if found is None or len(found) > ROWS_COUNTED:
            return None
    return filterset.queryset.filter(pk__in=id_list(found)).order_by(*order)


def _sorts_every_row(queryset: models.QuerySet) -> bool:
    """Does SQLite's plan for ``queryset`` (sliced) sort every row it selects before the first is
    returned ("USE TEMP B-TREE FOR ORDER BY" in its query plan), rather than walk an index in its order
    (nothing to sort) or sort only the rows of each value of the index's leading column ("... FOR RIGHT
    PART OF ORDER BY")? One ``EXPLAIN QUERY PLAN`` (a compile, no row read): a list filtered by role over
    every enterprise walks the name index and stops at 25 rows (0.3 ms), where a window would cost it 5-10
    ms. SQLite's plan text is documented as subject to change; if the phrase changes, no page is read in a
    window and pages are read as before."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return any(str(row[-1]).endswith("USE TEMP B-TREE FOR ORDER BY") for row in cursor.fetchall())


class ScopedFilterSet(django_filters.FilterSet):
    """Choices in relation filters are limited to what the user may see; ``q`` searches ``search_fields``.

    When the model itself declares ``search_fields`` and is indexed, ``q`` is answered from the
    index (:mod:`chainboard.search`: Chinese substrings, pinyin prefixes); otherwise by ``icontains`` on
    the filter set's ``search_fields``.
    """

    search_fields: tuple[str, ...] = ()
    # Search fields asked only for the terms their test passes, where no other term can be in them (a
    # division code holds digits only: ``{"code": str.isdigit}``). A substring match of a field not
    # indexed reads every row: the 44,000 regions' codes cost the search box 7 ms for a word.
    search_when: dict[str, Callable[[str], bool]] = {}
    # False for records found by their parent's name (an enterprise's indicators): the global search box
    # shows the parent instead of every one of its child records.
    in_global_search = True
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    # See matches_in_scope: set on the instance by the list page and the API list.
    reads_matches = False
    # See filtered_ids: set on the instance by a list page with a facet across a to-many relation.
    reads_rows = False
    # (user, action) when the filter set's queryset is exactly that user's scope for that action
    # (``restrict``): set on the instance by a list page. See far_condition_but.
    scope_of: tuple | None = None
    # The list's facets, (filter name, path) each, as its ViewSet declares them: set on the instance by a
    # list page. See counted_ids.
    facet_paths: tuple = ()
    _matches: list | None = None
    _rows: list | bool | None = None  # counted_ids: None not read yet, False not to be read

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        user = getattr(request, "user", None)
        for name, f in self.filters.items():
            # A declared filter's label is its own; the class's copy has none unless declared with one
            # (only the bound copy knows its model, and would make one up).
            declared = self.base_filters[name].label if name in self.base_filters else None
            if declared is None and f.lookup_expr == "exact" and not f.exclude:
                # django-filter joins every step's name ("上游环节 产业链") and capitalises raw names;
                # a reader wants the named field's own verbose name, translated.
                f.label = path_label(self._meta.model, f.field_name)
            # django-filter keeps a relation filter's queryset on the filter and copies it into ``extra``
            # when it builds the form field: both are restricted, or the drop-down lists every row.
            qs = getattr(f, "queryset", None)
            qs = qs if qs is not None else f.extra.get("queryset")
            if qs is not None and hasattr(qs, "restrict"):
                f.queryset = f.extra["queryset"] = self._choices(qs, f, queryset, user)
        if not self.search_fields:
            self.filters.pop("q", None)

    @staticmethod
    def _choices(related, filt, rows, user):
        """A relation filter offers what the user may view of the related kind. A kind the user may not
        view at all (the administrator reads positions but no chain) is offered as the list's own rows name
        it, so a filter never offers more than the list shows, nor less."""
        if rows is None or scope.has_permission(user, "view", related.model):
            return related.restrict(user, "view")
        try:
            return related.filter(pk__in=rows.order_by().values(filt.field_name))
        except FieldError:  # a filter with a method of its own and no path: nothing to offer
            return related.none()

    def filter_queryset(self, queryset, skip: str | None = None):
        """Each filter in turn; one across a to-many relation (an enterprise's chain, its role on a chain) as
        a subquery on the far table (:func:`scope.condition`) instead of a join made distinct: a join
        repeats rows, and ``DISTINCT`` then sorts the whole match before the page is cut, and wraps the
        count. ``skip``: a filter left out (a facet counts over the other filters, chainboard/facets.py).
        Where the list's rows were read once (:meth:`filtered_ids`) and ``skip`` changes nothing, those
        ids."""
        found = self.filtered_ids_but(skip)
        if found is not None:
            return queryset.filter(pk__in=id_list(found))
        return self._filter_each(queryset, skip)

    def _unset(self, skip: str | None) -> bool:
        """Does leaving the filter ``skip`` out change nothing (no filter named, or it is not set)?"""
        return skip is None or self.form.cleaned_data.get(skip) in EMPTY_VALUES

    def filtered_ids_but(self, skip: str | None) -> list | None:
        """:meth:`filtered_ids`, where leaving the filter ``skip`` out changes nothing."""
        return self.filtered_ids() if self._unset(skip) else None

    def counted_ids_but(self, skip: str | None) -> list | None:
        """:meth:`counted_ids`, where leaving the filter ``skip`` out changes nothing (a facet's)."""
        return self.counted_ids() if self._unset(skip) else None

    def _other_filters_set(self) -> bool:
        """Is a filter other than the search set?"""
        return any(value not in EMPTY_VALUES for key, value in self.form.cleaned_data.items() if key != "q")

    def filtered_ids(self) -> list | None:
        """The ids of the list's rows for its page: :meth:`counted_ids` when they are at most
        ``ROWS_ONCE``, or the search's matches whatever their number up to its cap (the page selects them by
        id either way); None otherwise, and the page filters. Past ``ROWS_ONCE`` a page of the rows by id
        sorts all of them, which costs more than the filters' walk of the order (a city's 22,800 rows: the
        page 5 → 159 ms on PostgreSQL)."""
        found = self.counted_ids()
        if found is None or (len(found) > ROWS_ONCE and self._other_filters_set()):
            return None
        return found

    def counted_ids(self) -> list | None:
        """The ids of the list's rows (the filter set's queryset through every filter), read once per
        filter set, when ``reads_rows`` and a filter other than the search is set, or the search's
        matches when it is the only one (:meth:`_searched_rows`); the rows when they are at most
        ``ROWS_COUNTED``, the matches up to the search's cap; None otherwise. The list's count and each
        facet whose own filter is not set then select those ids instead of filtering again, and its page
        too up to ``ROWS_ONCE`` (:meth:`filtered_ids`) (PostgreSQL, a county and a chain over a million
        enterprises: 3,789 rows; the role facet 130 → 27 ms, the page 47 → 23 ms, the count is the read;
        bench/README.md, "Filtered lists: the rows read once"). A list page sets ``reads_rows`` only when
        it has a facet across a to-many relation, whose count over the far table is what the read saves;
        a list whose facets group its own columns (the projects' light) pays for the read and the ids
        more than it saves (822 projects: 26.6 → 34.6 ms on PostgreSQL)."""
        if not self.reads_rows or self.queryset is None or not is_integer_pk(self.queryset.model):
            return None
        if self._rows is None:
            if not self._other_filters_set():
                self._rows = self._searched_rows()
            elif self._facets_carried():
                self._rows = False  # each facet reads its far rows by what they carry: nothing to save
            else:
                rows = self._filter_each(self.queryset.all())
                keys = counted_keys(rows)
                rows = keys if keys is not None else rows.order_by().values_list("pk", flat=True)
                # Rows counted off far keys (count_from) are counted and faceted cheaper by those keys in
                # the database than by ids carried through Python (the office's 27,730 core enterprises:
                # the page 148 → 161-173 ms on SQLite); only ROWS_ONCE of them are read, for the page.
                most = ROWS_ONCE if keys is not None else max(ROWS_ONCE, ROWS_COUNTED)
                found = list(rows[: most + 1])
                self._rows = found if len(found) <= most else False
        return self._rows if self._rows is not False else None

    def _facets_carried(self) -> bool:
        """Does each of the list's facets across a to-many relation select its far rows by what they carry
        (:meth:`far_condition_but`)? Reading the rows once would then save nothing but the count, which
        costs less than the read: the office's list filtered by a county (16,700 of a million enterprises),
        209 → 44 ms on PostgreSQL (bench/README.md, session 31)."""
        model = self._meta.model
        across = [(name, path) for name, path in self.facet_paths if scope.is_multi_valued(model, path)]
        return bool(across) and all(self.far_condition_but(name, path) is not None for name, path in across)

    def _searched_rows(self) -> list | bool:
        """With the search the only filter: its matches in scope (:meth:`matches_in_scope`), which are the
        list's rows, when read and under the cap; else False (no filter at all: every row in scope). The
        facets then group the far table's rows of those ids without joining the list's table again to
        check its scope, which the matches were read in (PostgreSQL, a county user's 纺织, 1,399 of
        a million enterprises: each membership facet 13-14 → about 4 ms)."""
        value = self.form.cleaned_data.get("q") if "q" in self.filters else None
        value = value.strip() if isinstance(value, str) else ""
        found = self.matches_in_scope(value) if value else None
        return found if found is not None and len(found) <= SEARCH_COUNT_CAP else False

    def _filter_each(self, queryset, skip: str | None = None):
        unconditioned = not queryset.query.where
        # The reader's scope, when ``queryset`` is it, as conditions on the model's own fields (a county
        # user's region): far rows that carry them select the list's rows as a region filter's would.
        scoped = [] if unconditioned else [("", spec) for spec in self._scope_specs(queryset) or ()]
        applied, across, own = 0, [], []
        for name, value in self.form.cleaned_data.items():
            if name == skip:
                continue
            filt = self.filters[name]
            applied += value not in EMPTY_VALUES
            if self._as_subquery(filt, value):
                across.append((name, filt, value))
            else:
                queryset = filt.filter(queryset, value)
                if value not in EMPTY_VALUES:
                    own.append((name, self._own_condition(filt, value)))
        far = None
        if unconditioned and applied == 1 and across and hasattr(queryset, "count_from"):
            _name, filt, value = across[0]
            if filt.lookup_expr == "exact" and not filt.exclude:
                far = scope.far_rows_of(queryset.model, filt.field_name, value)
        # Over every row, with only filters across to-many relations set (and filters on the model's own
        # fields that the far rows carry) and none whose far rows stand one for one for the list's: the
        # list is counted, and its rows read for a facet, from the far rows of the most selective filter
        # (_driver). The page keeps EXISTS: it walks its order to 25.
        drives = far is None and (unconditioned or scoped) and applied == len(across) + len(own)
        driver = (
            self._driver(queryset, across, [*own, *scoped])
            if drives and hasattr(queryset, "count_from")
            else None
        )
        counted = None
        if driver is not None:
            _name, keys = driver
            lone = across[0][1] if len(across) == 1 else None
            if lone is None:
                counted = queryset.filter(pk__in=keys)
            elif lone.lookup_expr == "exact" and scope.one_per_row(queryset.model, lone.field_name):
                # Not made DISTINCT: PostgreSQL then joins each key to the far rows by index (the role
                # facet of the office's city and silk chain: 60 ms), where over a DISTINCT it hashed
                # every far row (177 ms).
                counted = keys
            else:
                counted = keys.distinct()
        for name, filt, value in across:
            condition = scope.condition(queryset.model, filt.field_name, filt.lookup_expr, value)
            queryset = queryset.exclude(condition) if filt.exclude else queryset.filter(condition)
            if counted is not None and len(across) > 1 and name != driver[0]:
                counted = counted.exclude(condition) if filt.exclude else counted.filter(condition)
        if counted is not None:
            queryset = queryset.count_from(counted)
        if far is not None:
            # The one filter, over every row (a scope of everything), across a to-many relation whose far
            # rows stand one for one for the list's (an enterprise is on a chain once): the list is counted
            # off the far table, and its facets group the far rows of those keys (chainboard/facets.py).
            # The office's silk chain over a million enterprises, 228,436 of them: the count tested
            # EXISTS for every enterprise, 450-548 ms on SQLite, against 16 for the memberships.
            queryset = queryset.count_from(far.using(queryset.db))
        return queryset

    def _scope_specs(self, queryset) -> list | None:
        """The reader's scope as (path, lookup, value) conditions (``scope.scope_conditions``) when
        ``queryset`` is the filter set's own, which is that scope (``scope_of``); None otherwise. Those on
        fields far rows carry select the list's rows as a region filter's would: a county user's facets
        group the county's memberships (:meth:`far_condition_but`), and its list by a chain is counted off
        the chain's memberships in the county (:meth:`_driver`); a condition across a to-many relation (a
        chain's office) is carried by none, so those lists count as before."""
        if not self.scope_of or self.queryset is None or queryset.query.where != self.queryset.query.where:
            return None
        return scope.scope_conditions(self._meta.model, *self.scope_of)

    def _driver(self, queryset, across, own=()) -> tuple[str, models.QuerySet] | None:
        """(filter name, far keys) of the filter across a to-many relation that selects the list's rows
        from the fewest far rows, at most ``DRIVE_CAP`` of them; None when each has more. The list is then
        counted (and its rows read for the facets) as ``pk IN (SELECT enterprise_id FROM membership WHERE
        role = 'core') AND EXISTS (…)``, which the database starts from, instead of ``EXISTS`` tested on
        every row of the table; one filter alone as its far keys (made distinct unless each is unique to a
        row, ``scope.one_per_row``). The office's enterprises on the silk chain with a core role, over a
        million: the count 632 → 39 ms on SQLite, the page 1.3-1.4 s → 0.42 s (docs/lists.md, "Facets").
        ``own``: (name, condition) of the filters set on the model's own fields (:meth:`_own_condition`);
        a relation is a driver only when its far rows carry every one of them (``scope.carried``: a region
        on the memberships), which then select its far rows too, when an index of the far rows begins with
        the filter's field and the carried ones: the office's city and silk chain, 22,800 of 228,000
        memberships, are counted off the (chain, region, enterprise) index (docs/lists.md, "A region
        carried on the memberships"). Each far set is counted once per filter set, up to the cap."""
        sizes = self.__dict__.setdefault("_far_sizes", {})
        best = None
        for name, filt, value in across:
            if filt.exclude:
                continue
            keys = scope.far_keys(queryset.model, filt.field_name, filt.lookup_expr, value)
            if keys is None:
                continue
            relation, _sep, rest = filt.field_name.partition("__")
            carried = scope.carried(queryset.model, relation, [spec for _n, spec in own], rest, seek=True)
            if carried is None:
                continue  # a condition the far rows do not carry, or no index that begins with this filter's
            keys = keys.filter(carried).using(queryset.db)
            key = (name, *sorted(n for n, _spec in own))
            if key not in sizes:
                sizes[key] = keys[: DRIVE_CAP + 1].count()
            if sizes[key] <= DRIVE_CAP and (best is None or sizes[key] < best[0]):
                best = (sizes[key], name, keys)
        return best[1:] if best is not None else None

    @staticmethod
    def _own_condition(filt, value) -> tuple[str, str, object] | None:
        """(path, lookup, value) of a set filter on the model's own fields, as ``scope.condition`` takes
        them: a region and everything below it (a ``LookupFilter`` with a subtree), or a plain one-value
        filter; None for any other (a method of its own, an exclusion, the empty value's own choice)."""
        if filt.method is not None or filt.exclude or value == getattr(filt, "null_value", object()):
            return None
        subtree = getattr(filt, "subtree_path", None)
        if isinstance(filt, LookupFilter) and subtree is not None:
            return f"{filt.field_name}__{subtree}", "startswith", getattr(value, subtree)
        if type(filt).filter not in _PLAIN_FILTERS:
            return None
        return filt.field_name, filt.lookup_expr, value

    def far_condition_but(self, skip: str | None, path: str) -> Q | None:
        """The far rows of a facet's one-to-many ``path`` (``memberships__chain``) that point at the list's
        rows (every filter but ``skip``), as a condition on the far table alone, when each filter set but
        ``skip`` and each condition of the reader's scope (``scope.scope_conditions``: one grant's, the
        filter set's queryset being that scope, ``scope_of``) is on the model's own fields and carried by
        the far rows (``scope.carried``), and an index of the far rows begins with the carried fields and
        the grouped one; None otherwise. The facet then groups those rows off that index: the chain facet
        of the office's list filtered by a city (100,000 of a million enterprises) reads the city's
        memberships from (chain, region, enterprise) instead of looking up each enterprise's (SQLite
        143 → 11 ms), and so does the chain facet of a county user's list, whose county is its scope.
        Without such an index it would read each far row for the grouped field, slower than the
        enterprises' plan (the role facet 150 → 194 ms); docs/lists.md, "A region carried on the
        memberships"."""
        if self.queryset is None or (self.is_bound and not self.is_valid()):
            return None
        specs = []
        if self.queryset.query.where:
            # The scope's own conditions, carried as a filter's are (a county user's region).
            scoped = self._scope_specs(self.queryset)
            if not scoped:  # several grants (an OR), or something else narrows the queryset
                return None
            specs = list(scoped)
        relation, _sep, grouped = path.partition("__")
        for name, value in self.form.cleaned_data.items() if self.is_bound else ():
            if name == skip or value in EMPTY_VALUES:
                continue
            filt = self.filters[name]
            specs.append(None if self._as_subquery(filt, value) else self._own_condition(filt, value))
        return scope.carried(self._meta.model, relation, specs, grouped) if specs else None

    def _tests_across(self) -> bool:
        """Is a filter across a to-many relation set, which the database tests on each row it selects by
        its other conditions (an ``EXISTS`` per row)?"""
        return any(
            self._as_subquery(self.filters[name], value) for name, value in self.form.cleaned_data.items()
        )

    def _as_subquery(self, filt, value) -> bool:
        """Is ``filt`` a plain one-value filter (no method of its own) across a to-many relation?"""
        if filt.method is not None or value in EMPTY_VALUES or type(filt).filter not in _PLAIN_FILTERS:
            return False
        if value == getattr(filt, "null_value", object()):
            return False
        return scope.is_multi_valued(self._meta.model, filt.field_name)

    @property
    def form(self):
        form = super().form
        if not getattr(form, "_styled", False):
            # In a filter the empty choice means "any" (全部); a form's means "none" (forms.py).
            StyledFormMixin.style_fields(form, empty_choice=_("Any"))
            for name, field in form.fields.items():
                if isinstance(field.widget, forms.NullBooleanSelect):
                    # Django labels the empty choice "Unknown"; in a filter it means "any".
                    field.widget.choices = [("unknown", _("Any")), ("true", _("Yes")), ("false", _("No"))]
                if isinstance(field, LookupChoiceField):
                    field._lookup_value = form.data.get(form.add_prefix(name)) if form.is_bound else None
            form._styled = True
        return form

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        found = self.matches_in_scope(value)
        if found is not None and len(found) <= SEARCH_COUNT_CAP:
            return queryset.filter(pk__in=id_list(found))
        return self.matching(queryset, value)

    def matches_in_scope(self, value: str) -> list | None:
        """The ids of the rows in the reader's scope (the filter set's queryset) that ``value`` matches, up
        to ``SEARCH_COUNT_CAP + 1``, read once per filter set, when ``reads_matches`` (a list page and the
        API list set it; the search box, which wants a hundred matches per kind, does not). Up to the cap
        the list's page, its count and each facet then select those ids instead of asking the index again:
        one read of the matches per request instead of four (a county user's 纺织 over a million
        enterprises: 1,383 of 83,000 matches, each read about 60 ms; bench/README.md, "Searched lists: a
        capped count"). None when not read."""
        if not self.reads_matches or self.queryset is None or not is_integer_pk(self.queryset.model):
            return None
        if self._matches is None:
            rows = self.matching(self.queryset.all(), value).order_by().values_list("pk", flat=True)
            # From the index alone where nothing but the scope the index knows narrows the search.
            found = search.index_ids(rows, SEARCH_COUNT_CAP + 1)
            self._matches = found if found is not None else list(rows[: SEARCH_COUNT_CAP + 1])
        return self._matches

    def known_count(self) -> tuple[int, bool] | None:
        """(rows, capped) of the list when a read of its rows gave it, with no query of its own: the rows
        read once (:meth:`counted_ids`), or the matches when the search is the only filter
        (:meth:`matches_in_scope`, capped). None otherwise."""
        if not self.is_bound or not self.is_valid():
            return None
        found = self.counted_ids()
        if found is not None:
            return len(found), False
        if self._matches is None or self._other_filters_set():
            return None
        return min(len(self._matches), SEARCH_COUNT_CAP), len(self._matches) > SEARCH_COUNT_CAP

    @classmethod
    def matching(cls, queryset, value: str):
        """``queryset`` narrowed to the rows ``value`` matches, as ``q`` does, without building a filter
        set: the header's search box asks twenty kinds, and building and validating each one's filter
        set (its filters and form are deep copies) was half of the box's time (chainboard/views/search.py)."""
        model = queryset.model
        if search.is_indexed(model):
            return queryset.filter(cls._indexed_q(model, value))
        condition = Q()
        through: set[str] = set()
        for field in cls._fields_for(value):
            head, _sep, tail = field.rpartition("__")
            related = _related_model(model, head) if head else None
            if related is not None and tail in search.search_fields(related) and search.is_indexed(related):
                # A record found through its parent (an indicator by its enterprise's name): the parent's
                # keys answer, pinyin included.
                if head not in through:
                    through.add(head)
                    condition |= Q(**{f"{head}__in": search.matching_ids(related, value)})
                continue
            condition |= Q(**{f"{field}__{substring_lookup(value)}": value})
        return queryset.filter(condition) if condition else queryset.none()

    @classmethod
    def _fields_for(cls, value: str) -> list[str]:
        """The search fields that may hold ``value`` (``search_when``)."""
        return [f for f in cls.search_fields if f not in cls.search_when or cls.search_when[f](value)]

    @classmethod
    def _indexed_q(cls, model, value):
        """``q`` on an indexed model: its own index, OR, per foreign key the filter set searches through
        (a problem by its enterprise's name, a task by its owner unit's name), the rows whose key is one
        of the related rows matching: by the related model's index where it has one, else ``icontains``
        on that (small) table. Never a scan of this model's table: the keys are read by their indexes
        (:class:`search.Matches`, ``via``). Only a field neither indexed nor behind a foreign key would
        be matched row by row; the filter sets of indexed models name none."""
        own = set(search.search_fields(model))
        by_key: dict[str, tuple[type, bool, list[str]]] = {}  # key -> (related model, indexed?, other fields)
        scanned = Q()
        for field in cls._fields_for(value):
            head, _sep, tail = field.rpartition("__")
            if not head:
                if field not in own:
                    scanned |= Q(**{f"{field}__{substring_lookup(value)}": value})
                continue
            related = _foreign_key_model(model, head)
            if related is None:  # a longer path or a reverse relation: matched as before
                scanned |= Q(**{f"{field}__{substring_lookup(value)}": value})
                continue
            _related, indexed, others = by_key.get(head, (related, False, []))
            if tail in search.search_fields(related) and search.is_indexed(related):
                indexed = True
            else:
                others = [*others, tail]
            by_key[head] = (related, indexed, others)
        via = []
        for head, (related, indexed, others) in by_key.items():
            if indexed and not others:
                ids = search.matching_ids(related, value)
            else:
                found = Q(pk__in=search.matching_ids(related, value)) if indexed else Q()
                for tail in others:
                    found |= Q(**{f"{tail}__{substring_lookup(value)}": value})
                ids = related._base_manager.filter(found).order_by().values("pk")
            via.append((head, ids))
        condition = Q(search.matches(model, value, via=via))
        return condition | scanned if scanned else condition


def substring_lookup(value: str) -> str:
    """The lookup of a search on a field that is not indexed: ``icontains``, or ``contains`` when the term
    has no letter that has a case (Chinese, digits), which is the same match without folding every row's
    case first. PostgreSQL writes ``icontains`` as ``UPPER(column::text) LIKE UPPER(term)``: the 44,000
    regions' names took 16-20 ms for 高平 that way and 8-11 ms as a plain ``LIKE`` (SQLite writes both
    as the same ``LIKE``)."""
    return "icontains" if value.lower() != value.upper() else "contains"


def path_label(model, path: str | None):
    """The translated verbose name of the field ``path`` ends on, following ``__`` through relations
    (``upstream__chain``: the chain field's 产业链); a reverse relation reads as its model's name."""
    field = None
    try:
        for part in (path or "").split("__"):
            field = model._meta.get_field(part)
            if field.is_relation and field.related_model is not None:
                model = field.related_model
    except FieldDoesNotExist:
        return None  # a filter on something else than a field: django-filter's own label
    if isinstance(field, ForeignObjectRel):
        return field.related_model._meta.verbose_name
    return getattr(field, "verbose_name", None)


def _foreign_key_model(model, name: str):
    """The model a forward foreign key (or one-to-one) ``name`` of ``model`` points to; None for anything
    else (a path through several relations, a reverse or many-to-many relation, not a relation)."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if field.many_to_one or field.one_to_one and field.concrete:
        return field.related_model
    return None


def _related_model(model, path: str):
    for part in path.split("__"):
        field = model._meta.get_field(part)
        if not field.is_relation or field.related_model is None:
            return None
        model = field.related_model
    return model


class YearFilter(django_filters.NumberFilter):
    """A year: a whole number from 1900 to 2100 (a decimal or a 17-digit number is a clear error, never a
    query the database cannot run)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1900)
        kwargs.setdefault("max_value", 2100)
        super().__init__(*args, **kwargs)


class LookupFilter(django_filters.ModelChoiceFilter):
    """A relation filter with a searchable picker (only the chosen option is rendered).

    ``subtree_path`` names the field holding a region-like path: the filter then matches the chosen
    row and everything below it (a prefix match) instead of the row alone.
    """

    field_class = LookupChoiceField

    def __init__(self, *args, lookup_url_name: str, subtree_path: str | None = None, **kwargs):
        kwargs["lookup_url_name"] = lookup_url_name
        self.subtree_path = subtree_path
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in (None, "") or self.subtree_path is None:
            return super().filter(qs, value)
        # A range an index answers, not a LIKE (scope.condition, scope.prefix_range).
        path = f"{self.field_name}__{self.subtree_path}"
        return qs.filter(scope.condition(qs.model, path, "startswith", getattr(value, self.subtree_path)))

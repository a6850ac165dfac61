"""The global search box: every kind of record the user may see, grouped by kind.

Each entity's ViewSet says how its list searches (its filter set's ``q``: the search index where the
model has one, a substring match on ``search_fields`` otherwise); this view asks every ViewSet in turn,
through ``restrict``, so results and counts never leave the user's scope.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.http import QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from chainboard import scope, search
from chainboard.views.generic import ViewSet

PER_KIND = 8
# The header box's drop-down, filled as the user types: its element id, and the hits it shows per kind.
BOX_TARGET = "cb-search-box-results"
BOX_PER_KIND = 5
# Counts stop here ("more than 100"): a common term (纺织 matches one enterprise in twelve of a
# province's million) is counted from its first matches instead of all of them (chainboard.search
# walks the table for them, so the cap bounds the walk); the list it links to counts further, up to
# chainboard.filters.SEARCH_COUNT_CAP.
COUNT_CAP = 100
# The newest rows in scope among which a common term's first hits are looked for (see _first).
WINDOW = 400
# Up to this many matches, the box sorts the matches themselves when the window holds too few (_first).
SORTED_UP_TO = 1_000


def _viewsets() -> list[type[ViewSet]]:
    """Every searchable kind, the user's working records first (``ViewSet.search_rank``)."""
    seen, out = set(), []
    stack = list(ViewSet.__subclasses__())
    while stack:
        cls = stack.pop(0)
        stack.extend(cls.__subclasses__())
        if getattr(cls, "model", None) is None or cls.model in seen or cls.filterset_class is None:
            continue
        if "q" not in cls.filterset_class.base_filters or not cls.filterset_class.search_fields:
            continue
        if not cls.filterset_class.in_global_search:
            continue
        seen.add(cls.model)
        out.append(cls)
    return sorted(out, key=lambda cls: cls.search_rank)  # stable: equal ranks keep the apps' order


def search_hits(viewset: type[ViewSet], objects, user=None) -> list[dict]:
    """{"object", "title", "details"} per hit, from the ViewSet's table columns: its linked columns make
    the title, ``search_columns`` (None: every other column) the details. No query: the table's
    ``prepare`` joined or annotated what the columns read."""
    table = viewset.table.visible(viewset.model, user)  # no confidential field the user may not read
    columns = table.columns
    titles = [c for c in columns if c.link] or columns[:1]
    if viewset.search_columns is None:
        shown = [c for c in columns if c not in titles]
    else:
        shown = [c for name in viewset.search_columns for c in columns if c.name == name]
    labels = dict(zip([c.name for c in columns], table.labels(viewset.model), strict=True))
    hits = []
    for obj in objects:
        title = " ".join(str(v) for c in titles if (v := c.value(obj)) not in (None, ""))
        details = []
        for column in shown:
            value = column.value(obj)
            if value is True:  # a flag that is set says so by its name ("weak link")
                details.append(str(labels[column.name]))
            elif value not in (None, "", False):
                details.append(str(value))
        hits.append({"object": obj, "title": title or str(obj), "details": details})
    return hits


def _first(viewset: type[ViewSet], scoped, matching, found: list, per_kind: int = PER_KIND):
    """The kind's first hits in its order, as a queryset to cut at ``per_kind``, read so that the
    database never orders every match in scope:

    - every match was counted (``found``, at most ``COUNT_CAP``): those rows, by their ids;
    - more, and the order is walked (``search.walks_order``): with a probe of each row's entry (matches
      many enough to pay a probe per row), or against one set of the matches (SQLite, many matches
      spread through the order): the matches in order, unless the matches counted say that the first
      hit is far into the order (``_walked_or_sorted``): then the matches read and sorted;
    - more, and the order starts with an indexed column: the matches among the first ``WINDOW`` rows in
      scope in that order (an index walk, or a sort of the scope's own rows, with a probe of the search
      index for those rows only) when they make a page; a selective scope (a county: one row in 60)
      otherwise has the database probe every row in scope before sorting (0.5 s for 17,000 problems).
      Not when the term is tested on the rows themselves (``search.checks_rows``: PostgreSQL, a county
      and a Chinese term): the window of a county's first 400 names walked the name index past 96,000
      rows (200-260 ms), where its matches in order cost 1-35 ms; those are read in order at once, or
      sorted when they are far into the order (``_walked_or_sorted``);
    - else, up to ``SORTED_UP_TO`` matches: those rows, by their ids. A term just over the count's cap
      whose matches sort together (潞安's 102 enterprises, names that start with it) was otherwise
      found by walking the order up to them: PostgreSQL walked 400,000 names for 1.4 s;
    - otherwise the matches in order, as the list reads them.
    """
    if len(found) <= COUNT_CAP:
        return viewset.search_order(scoped.filter(pk__in=found))
    ordered = viewset.search_order(matching)
    if search.checks_rows(matching):
        # The scope's few rows are each checked once however the matches are asked for: in order, that
        # costs no more than reading up to SORTED_UP_TO of them first (a county's 纺织 on PostgreSQL read
        # 1,001 of its 1,399 matches for 21 ms, then sorted them all in order for 20). Unless they sort
        # together late: PostgreSQL walks the name index, checking each row, and passed 972,879 rows for
        # the county's first 高平 (1.6 s).
        return _walked_or_sorted(viewset, scoped, ordered, found, per_kind)
    order = ordered.query.order_by
    if not order or not search._indexed_first(viewset.model, order[0]):
        return ordered
    if search.walks_order(ordered[:per_kind]):
        # The window would do the walk's work for its 400 rows, then read the matches again when they
        # hold too few: against a set, the office's jc at a million enterprises (3 % of the names) took
        # 11 ms for the window, then 8 for the walk; with probes on PostgreSQL, 15 ms for the window and
        # 28 for reading 1,001 matches before the walk's 22. But a walk cannot know where its hits are:
        # matches that sort together late in the order (the 9,958 enterprises whose names start with
        # 高平, after 97 % of a million names) were walked to row by row, 8.6-19 s on PostgreSQL. So
        # where the count's matches say the hits are far, they are read and sorted instead.
        return _walked_or_sorted(viewset, scoped, ordered, found, per_kind)
    # The window's ids read first, not a subquery: beside one PostgreSQL walked the whole name index,
    # probing every row, to semi-join it with the window (pinyin initials jc, a million enterprises: 8.8
    # s); beside a list of ids it probes those rows only (bench/README.md, "The box's window").
    window = search.first_ids(viewset.search_order(scoped), WINDOW)
    first = list(ordered.filter(pk__in=window).values_list("pk", flat=True)[:per_kind])
    if len(first) == per_kind:
        return viewset.search_order(scoped.filter(pk__in=first))
    more = list(matching.order_by().values_list("pk", flat=True)[: SORTED_UP_TO + 1])
    return viewset.search_order(scoped.filter(pk__in=more)) if len(more) <= SORTED_UP_TO else ordered


def _walked_or_sorted(viewset: type[ViewSet], scoped, ordered, found: list, per_kind: int):
    """``ordered`` to be walked for its first ``per_kind`` hits, or, when its matches sort together late
    in the order (``search.far_into_order``, judged on ``found``: the matches the count met, in the
    index's order), its matches read and sorted (``search.sorted_ids``). Only a decision is drawn from
    the rows counted; nothing of them is shown."""
    if not search.far_into_order(ordered, scoped, found):
        return ordered
    ids = search.sorted_ids(ordered, per_kind)
    return ordered if ids is None else viewset.search_order(scoped.filter(pk__in=ids))


def _first_found(querysets: list, limit: int) -> list[list]:
    """Each queryset's first ``limit`` keys in no order, read in one statement (``UNION ALL`` of each
    one's query, tagged with its place): the box asks every kind, and on PostgreSQL each query of its own
    cost a round trip and the driver's work besides its plan (19 kinds). Keys are read as text (a
    region's key is its code) and made the model's again."""
    found: list[list] = [[] for _queryset in querysets]
    parts, params = [], []
    for index, queryset in enumerate(querysets):
        ids = queryset.order_by().values_list("pk", flat=True)[:limit]
        try:
            sql, more = ids.query.sql_with_params()
        except EmptyResultSet:  # nothing in scope, or a term no field may hold
            continue
        # Each part is the ORM's own SQL with its parameters kept apart; the rest is integers.
        parts.append(f'SELECT {index:d}, CAST(k{index:d}."pk" AS TEXT) FROM ({sql}) k{index:d}')  # noqa: S608
        params.extend(more)
    if parts:
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            for index, key in cursor.fetchall():
                found[index].append(querysets[index].model._meta.pk.to_python(key))
    return found


def search_groups(request, q: str, per_kind: int = PER_KIND) -> list[dict]:
    """Every kind the user may see that matches ``q``: its label, its count up to ``COUNT_CAP``, its
    first ``per_kind`` hits in its list's order and the link to its list searched."""
    params = QueryDict(mutable=True)
    params["q"] = q
    kinds = []
    for viewset in _viewsets():
        model = viewset.model
        if not scope.has_permission(request.user, "view", model):
            continue
        queryset = model.objects.restrict(request.user, "view")
        # The list's own q, without a filter set of its own (ScopedFilterSet.matching).
        kinds.append((viewset, queryset, viewset.filterset_class.matching(queryset, q)))
    # What the kinds' plans ask of their tables' sizes, in one statement (search.plan_sizes).
    search.plan_sizes(viewset.model for viewset, _queryset, _matching in kinds)
    # Counted in no order: the first COUNT_CAP + 1 matches the database meets (by the search index's
    # walk or its list), not the first in the list's order, which would sort every match.
    counted = _first_found([matching for _viewset, _queryset, matching in kinds], COUNT_CAP + 1)
    groups = []
    for (viewset, queryset, matching), found in zip(kinds, counted, strict=True):
        model = viewset.model
        count = len(found)
        if count:
            matches = _first(viewset, queryset, matching, found, per_kind)
            hits = search_hits(viewset, viewset.table.prepare(matches, request.user)[:per_kind], request.user)
            groups.append(
                {
                    "label": model._meta.verbose_name_plural,
                    "count": min(count, COUNT_CAP),
                    "more": count > COUNT_CAP,
                    "hits": hits,
                    "items": [hit["object"] for hit in hits],
                    "more_url": f"{reverse(viewset.names()['list'])}?{params.urlencode()}",
                }
            )
    return groups


@login_required
def global_search(request):
    """The search page, and the header box's results as the user types (an htmx request aimed at the
    box's drop-down, ``BOX_TARGET``): the same groups, ``BOX_PER_KIND`` hits each, without the page."""
    q = request.GET.get("q", "").strip()[:100]
    in_box = request.headers.get("HX-Request") == "true" and request.headers.get("HX-Target") == BOX_TARGET
    groups = search_groups(request, q, BOX_PER_KIND if in_box else PER_KIND) if q else []
    template = "chainboard/_search_box.html" if in_box else "chainboard/search.html"
    response = render(request, template, {"q": q, "groups": groups})
    # One URL, two answers: a cache must keep them apart.
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response

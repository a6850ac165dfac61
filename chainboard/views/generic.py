"""Generic views for every entity: list, detail, create, edit, delete, history, attachments, journal.

An entity declares a :class:`ViewSet` (model, form, filter set, table) and includes ``viewset.urls()``
in its app's ``urls.py``; URL names are ``<app_label>:<model_name>_<action>``. Every view reads through
``restrict`` and writes through :mod:`chainboard.actions`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import models
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View

from chainboard import actions, confidential, converters, deletion, formatting, scope
from chainboard.filters import list_count, sorted_page, windowed_page
from chainboard.tables import Table
from chainboard.workflow import workflow_of

PAGE_SIZES = (25, 50, 100)
REFERENCE_RANK = 900  # ViewSet.search_rank of reference data: after every working record


def display_value(model: type[models.Model], obj: models.Model, name: str, user=None) -> Any:
    field = model._meta.get_field(name)
    if field.many_to_many:
        related = getattr(obj, name).all()
        if hasattr(related, "restrict"):
            # Only the related records the reader may see (an enterprise's other chains stay hidden).
            related = related.restrict(user, "view")
        return "、".join(str(o) for o in related) or None
    display = getattr(obj, f"get_{name}_display", None)
    if callable(display):
        return display()
    return formatting.field_value(obj, name)  # 4.3亿元, 6户, dates in the one format (docs/formatting.md)


def field_heading(model: type[models.Model], name: str) -> str:
    """A field's label beside its value: a measured number's unit is in the value (产值 4.3亿元)."""
    label = model._meta.get_field(name).verbose_name
    return formatting.bare_label(label) if formatting.declared(model, name) else label


@dataclass(frozen=True)
class DetailAction:
    """A named action on one record, beyond view/add/change/delete: a page at ``<pk>/<route>`` named
    ``<model>_<name>``, served by ``view`` (a :class:`DetailActionView`), allowed by the model's named
    ``action`` (``named_actions``) within scope; offered on the detail page as a button and/or a tab to
    the users who may use it."""

    name: str
    label: Any
    view: type
    route: str
    action: str
    button: bool = True
    tab: bool = False
    icon: str = "point"


@dataclass(frozen=True)
class DetailPanel:
    """A template rendered at the top of the detail page; ``context(request, obj)`` gives its context, or
    None to leave it out (the workflow's timeline is one, chainboard/workflow.py)."""

    name: str
    template: str
    context: Callable[[Any, models.Model], dict | None]


class ViewSet:
    model: ClassVar[type[models.Model]]
    form_class: ClassVar[type | None] = None
    filterset_class: ClassVar[type | None] = None
    table: ClassVar[Table]
    detail_template: ClassVar[str] = "chainboard/generic/detail.html"
    list_template: ClassVar[str] = "chainboard/generic/list.html"
    # Related lists shown on the detail page: (label, related manager name, Table)
    detail_related: ClassVar[list[tuple[Any, str, Table]]] = []
    # The menu entry (chainboard/navigation.py): the group an app declared with ``register_group`` (None:
    # not in the menu), the label (None: the model's verbose_name_plural), the place in the group and the
    # Tabler icon. It shows to users who may view the model.
    menu_group: ClassVar[str | None] = None
    menu_label: ClassVar[Any] = None
    menu_order: ClassVar[int] = 100
    icon: ClassVar[str] = "circle"
    # (filter name, ORM path) pairs whose values are counted beside the filters (chainboard/facets.py)
    facets: ClassVar[tuple[tuple[str, str], ...]] = ()
    detail_view: ClassVar[type | None] = None  # a DetailView subclass with extra_context(obj)
    url_prefix: ClassVar[str]  # plural snake case, as the API's collection: "enterprises", "segment_links"
    # The global search (chainboard/views/search.py, docs/search.md) lists the user's working records
    # first, by this rank; reference data (regions, industry classes) ranks from REFERENCE_RANK on. A hit
    # shows its table's linked columns as its title and ``search_columns`` (names of table columns; None:
    # every other column) beside it, so it can be recognised without opening it.
    search_rank: ClassVar[int] = 100
    search_columns: ClassVar[tuple[str, ...] | None] = None
    # Leaders' instructions (批示) on this kind of record: shown at the top of its detail page, given and
    # answered there and through the API (chainboard/instructions.py, docs/instructions.md).
    instructions: ClassVar[bool] = False

    # Named actions' pages on one record, and panels at the top of its detail page (docs/workflows.md);
    # a model with a workflow gets its move pages and its timeline panel without declaring them.
    detail_actions: ClassVar[list[DetailAction]] = []
    detail_panels: ClassVar[list[DetailPanel]] = []

    @classmethod
    def all_detail_actions(cls) -> list[DetailAction]:
        extra = []
        if workflow_of(cls.model) is not None:
            from chainboard.views.transitions import TransitionView

            extra.append(
                DetailAction(
                    "transition",
                    _lazy("Move"),
                    TransitionView,
                    route="transitions/<str:move>/",
                    action="transition",
                    button=False,  # one button per move, on the timeline panel
                    icon="arrow-right",
                )
            )
        return [*cls.detail_actions, *extra]

    @classmethod
    def all_detail_panels(cls) -> list[DetailPanel]:
        extra = []
        if workflow_of(cls.model) is not None:
            from chainboard.views.transitions import timeline_context

            extra.append(DetailPanel("timeline", "chainboard/generic/_timeline.html", timeline_context))
        return [*extra, *cls.detail_panels]

    @classmethod
    def search_order(cls, queryset: models.QuerySet) -> models.QuerySet:
        """The order of this kind's hits in the global search (the list's default order)."""
        return queryset.order_by(*cls.table.default_order)

    @classmethod
    def names(cls) -> dict[str, str]:
        meta = cls.model._meta
        return {
            a: f"{meta.app_label}:{meta.model_name}_{a}"
            for a in (
                *(d.name for d in cls.all_detail_actions()),
                "list",
                "add",
                "detail",
                "edit",
                "delete",
                "history",
                "attachments",
                "attachment",
                "journal",
                "bulk_edit",
                "import",
                "import_template",
                "import_job",
                "instructions",
                "instruction_answer",
                "instruction_users",
            )
        }

    @classmethod
    def urls(cls) -> list:
        from chainboard.views.attachments import AttachmentDownloadView, AttachmentsView, JournalView
        from chainboard.views.bulk import BulkEditView  # it builds on the views below
        from chainboard.views.history import HistoryView
        from chainboard.views.imports import ImportJobView, ImportTemplateView, ImportView

        name = cls.model._meta.model_name
        plural = cls.url_prefix
        # An integer primary key is matched by <id:…> (chainboard/converters.py): /enterprises/abc/ and
        # ids beyond 64 bits are not found (404) instead of reaching the database; a code (regions,
        # industry classes) is any text.
        pk = "<id:pk>" if converters.is_integer_pk(cls.model) else "<str:pk>"
        views = [
            ("", ListView, "list"),
            ("add/", CreateView, "add"),
            ("bulk-edit/", BulkEditView, "bulk_edit"),  # before "<str:pk>/", which would take it
            ("import/", ImportView, "import"),
            ("import/template.<str:fmt>", ImportTemplateView, "import_template"),
            ("import/<id:job_id>/", ImportJobView, "import_job"),
            (f"{pk}/", cls.detail_view or DetailView, "detail"),
            (f"{pk}/edit/", EditView, "edit"),
            (f"{pk}/delete/", DeleteView, "delete"),
            (f"{pk}/history/", HistoryView, "history"),
            (f"{pk}/attachments/", AttachmentsView, "attachments"),
            (f"{pk}/attachments/<id:attachment_id>/", AttachmentDownloadView, "attachment"),
            (f"{pk}/journal/", JournalView, "journal"),
        ]
        if cls.instructions:
            from chainboard.views import instructions

            views += [
                (f"{pk}/instructions/", instructions.InstructionsView, "instructions"),
                (
                    f"{pk}/instructions/<id:instruction_id>/answer/",
                    instructions.InstructionAnswerView,
                    "instruction_answer",
                ),
                (f"{pk}/instructions/users/", instructions.InstructionUsersView, "instruction_users"),
            ]
        views += [(f"{pk}/{d.route}", d.view, d.name) for d in cls.all_detail_actions()]
        return [
            path(f"{plural}/{route}", view.as_view(viewset=cls), name=f"{name}_{action}")
            for route, view, action in views
        ]


_VIEWS_IMPORTED: set[str] = set()  # the apps whose ``views`` module was imported (or found missing)


def registered_viewsets() -> list[type[ViewSet]]:
    """Every entity's ViewSet (each class declaring a model), in declaration order: the screen walk, the
    audit trail's kinds and the API all read this one registry. Each app's ``views`` module is imported
    first, so the answer does not depend on whether the URLconf was loaded yet."""
    for config in apps.get_app_configs():
        if config.name in _VIEWS_IMPORTED:
            continue  # a module without ``views`` is searched for on disk once, not on every call
        try:
            importlib.import_module(f"{config.name}.views")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.views":
                raise
        _VIEWS_IMPORTED.add(config.name)
    found = []
    stack = list(ViewSet.__subclasses__())
    while stack:
        cls = stack.pop(0)
        if getattr(cls, "model", None) is not None:
            found.append(cls)
        stack.extend(cls.__subclasses__())
    return found


def viewset_for(model: type[models.Model]) -> type[ViewSet]:
    """The ViewSet that serves ``model`` (its pages, API and imports)."""
    for cls in registered_viewsets():
        if cls.model is model:
            return cls
    raise LookupError(f"no ViewSet for {model._meta.label}")


class EntityView(LoginRequiredMixin, View):
    viewset: type[ViewSet] | None = None

    @property
    def model(self) -> type[models.Model]:
        return self.viewset.model

    def context(self, **extra) -> dict:
        meta = self.model._meta
        user = self.request.user
        return {
            "viewset": self.viewset,
            "model_meta": meta,
            "verbose_name": meta.verbose_name,
            "verbose_name_plural": meta.verbose_name_plural,
            "urls": self.viewset.names(),
            "can_add": scope.has_permission(user, "add", self.model) and self.viewset.form_class is not None,
            "can_import": self.viewset.form_class is not None
            and scope.has_permission(user, "add", self.model),
            **extra,
        }

    def get_object(self, action: str = "view") -> models.Model:
        queryset = self.model.objects.restrict(self.request.user, "view")
        obj = get_object_or_404(queryset, pk=self.kwargs["pk"])
        if action != "view" and not scope.can(self.request.user, action, obj):
            raise PermissionDenied
        return obj


class DetailActionView(EntityView):
    """The base of a named action's page on one record: the record read within the view scope (404
    outside it), then the named action checked on it (403 without)."""

    action = "view"

    def get_object(self, action: str | None = None):
        return super().get_object(action or self.action)


class ListPaginator(Paginator):
    """Pages of the prepared rows, counted on the filtered rows alone: the count carries no join, no
    prefetch and no display value, whatever the table reads for the rows it shows."""

    def __init__(self, object_list, per_page, counted: models.QuerySet, filterset=None, prepare=None):
        super().__init__(object_list, per_page)
        self.counted = counted
        self.filterset = filterset
        # What makes rows of a queryset the page's (the table's ``prepare``), for the rows of a searched
        # page read another way (``page``).
        self.prepare = prepare
        # True once a searched list's count stopped at its cap: more rows match than ``count`` says.
        self.capped = False

    def page(self, number):
        """The page, from its rows' keys read and sorted where the list is searched past its cap and its
        matches sort together far into its order (``filters.sorted_page``), instead of a walk of the
        order to them; or, filtered past ``ROWS_ONCE`` on SQLite, from the first rows of the scope in its
        order or the ids read for the count (``filters.windowed_page``), instead of a sort of every row
        the filters select."""
        number = self.validate_number(number)
        if self.prepare is None or self.filterset is None:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:  # as Paginator.page
            top = self.count
        rows = sorted_page(self.counted, self.filterset, top) if top > bottom else None
        if rows is None and top > bottom:
            rows = windowed_page(self.counted, self.filterset, top, self.count)
        if rows is None:
            return super().page(number)
        return self._get_page(self.prepare(rows)[bottom:top], number, self)

    @cached_property
    def count(self) -> int:
        found, self.capped = list_count(self.counted, self.filterset)
        return found


class ListView(EntityView):
    def get(self, request):
        if not scope.has_permission(request.user, "view", self.model):
            raise PermissionDenied
        # Without the columns of confidential fields the user may not read (chainboard/confidential.py):
        # not shown, not exported, not sortable.
        table = self.viewset.table.visible(self.model, request.user)
        queryset = self.model.objects.restrict(request.user, "view")
        filterset = None
        base_queryset = queryset
        if self.viewset.filterset_class is not None:
            filterset = self.viewset.filterset_class(request.GET or None, queryset=queryset, request=request)
            filterset.reads_matches = True  # a search's matches read once for the page, count and facets
            filterset.scope_of = (request.user, "view")  # its queryset is that scope (facets carry it)
            filterset.facet_paths = tuple(self.viewset.facets)
            # A filtered list's rows read once where a facet counts across a to-many relation.
            filterset.reads_rows = any(
                scope.is_multi_valued(self.model, path) for _name, path in self.viewset.facets
            )
            if filterset.form.is_bound and filterset.is_valid():
                queryset = filterset.qs
            elif filterset.form.is_bound:
                queryset = queryset.none()
        sort = request.GET.get("sort", "")
        orderings = table.orderings()
        key = sort.lstrip("-")
        if key in orderings:
            field = orderings[key]
            # Equal values in the key's order, in the sort's direction: an index of the column then
            # serves the whole order (SQLite keeps the key as every index's last column), so a searched
            # page walks it to its first matches. Against it (``-pk`` after an ascending column), the
            # rows of each value were read and sorted before the first could be shown: the enterprises
            # without a credit code, 400,000 of a million, for a search of 有限 sorted by code (7 s).
            direction = "-" if sort.startswith("-") else ""
            queryset = queryset.order_by(f"{direction}{field}", f"{direction}pk")
        else:
            sort = ""
            queryset = queryset.order_by(*table.default_order)
        export = request.GET.get("export")
        if export in {"csv", "xlsx"}:
            from chainboard import exports

            if export == "xlsx" and exports.xlsx_too_long(count := queryset.count()):
                # A worksheet holds 1,048,575 rows under its header; a longer file would be cut short.
                messages.error(
                    request,
                    _(
                        "This list has %(count)s rows; an XLSX sheet holds at most %(limit)s. Filter the "
                        "list further or export it as CSV."
                    )
                    % {"count": f"{count:,}", "limit": f"{exports.XLSX_MAX_ROWS - 1:,}"},
                )
                query = request.GET.copy()
                query.pop("export")
                return HttpResponseRedirect(f"{request.path}?{query.urlencode()}" if query else request.path)
            return exports.export_response(
                export,
                str(self.model._meta.verbose_name_plural),
                table,
                table.prepare(queryset, request.user),
            )
        try:
            page_size = int(request.GET.get("page_size", PAGE_SIZES[0]))
        except ValueError:
            page_size = PAGE_SIZES[0]
        page_size = page_size if page_size in PAGE_SIZES else PAGE_SIZES[0]
        paginator = ListPaginator(
            table.prepare(queryset, request.user, display=False),
            page_size,
            queryset,
            filterset,
            prepare=lambda rows: table.prepare(rows, request.user, display=False),
        )
        page = paginator.get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        sort_query = query.copy()
        sort_query.pop("sort", None)
        from chainboard.facets import facet_counts
        from chainboard.views.bulk import BULK_EDIT_LIMIT

        # Past the cap the facets are not counted (each would read every match); the page says so.
        facets = (
            facet_counts(self.viewset, request, base_queryset, filterset)
            if filterset is not None and not paginator.capped
            else []
        )
        ctx = self.context(
            facets=facets,
            facets_capped=paginator.capped,
            filterset=filterset,
            page=page,
            headers=[
                {"label": label, "key": col.name if col.order_by else None}
                for label, col in zip(table.labels(self.model), table.columns, strict=True)
            ],
            rows=table.rows(table.fill(page.object_list, request.user)),
            sort=sort,
            query=query.urlencode(),
            sort_query=sort_query.urlencode(),
            page_sizes=PAGE_SIZES,
            page_size=page_size,
            # The checkbox column and bulk edit (chainboard/views/bulk.py); no query: grants are cached.
            can_bulk_edit=self.viewset.form_class is not None
            and scope.has_permission(request.user, "change", self.model),
            bulk_edit_limit=BULK_EDIT_LIMIT,
        )
        template = (
            "chainboard/generic/_list_update.html"
            if request.headers.get("HX-Request")
            else self.viewset.list_template
        )
        return render(request, template, ctx)


class DetailView(EntityView):
    def get(self, request, pk):
        obj = self.get_object()
        fields = self.detail_fields(obj)
        related = []
        for label, accessor, table in self.viewset.detail_related:
            manager = getattr(obj, accessor)
            rel_qs = manager.all()
            if hasattr(rel_qs, "restrict"):
                rel_qs = rel_qs.restrict(request.user, "view")
                if not scope.has_permission(request.user, "view", rel_qs.model):
                    continue
            table = table.visible(rel_qs.model, request.user)
            rows = table.rows(table.prepare(rel_qs, request.user).order_by(*table.default_order)[:200])
            related.append(
                {
                    "label": label,
                    "headers": table.labels(rel_qs.model),
                    "rows": rows,
                    "model_meta": rel_qs.model._meta,
                }
            )
        from chainboard.views import attachments, instructions  # they build on the views here

        panel = instructions.instruction_context(request, obj) if self.viewset.instructions else {}

        ctx = self.context(
            object=obj,
            fields=fields,
            related=related,
            **self.extension_context(obj),
            can_change=self.viewset.form_class is not None and scope.can(request.user, "change", obj),
            can_delete=scope.can(request.user, "delete", obj),
            **attachments.attachment_and_journal_context(request, obj),
            **panel,
            **self.extra_context(obj),
        )
        return render(request, self.viewset.detail_template, ctx)

    def extra_context(self, obj) -> dict:
        return {}

    def extension_context(self, obj) -> dict:
        """The named actions' buttons and tabs the user may use, and the panels with something to show."""
        user = self.request.user
        buttons, tabs = [], []
        for action in self.viewset.all_detail_actions():
            if not (action.button or action.tab) or "<" in action.route:
                continue  # a route with its own arguments is linked from its panel
            if not scope.can(user, action.action, obj):
                continue
            link = {
                "label": action.label,
                "icon": action.icon,
                "url": reverse(self.viewset.names()[action.name], kwargs={"pk": obj.pk}),
            }
            (buttons if action.button else tabs).append(link)
            if action.button and action.tab:
                tabs.append(link)
        panels = []
        for panel in self.viewset.all_detail_panels():
            panel_context = panel.context(self.request, obj)
            if panel_context is not None:
                panels.append(render_to_string(panel.template, panel_context, request=self.request))
        return {"detail_buttons": buttons, "detail_tabs": tabs, "detail_panels": panels}

    def detail_fields(self, obj) -> list[tuple[Any, Any]]:
        model = self.model
        names = list(getattr(model, "detail_fields", ()) or [])
        if not names:
            names = [
                f.name
                for f in model._meta.get_fields()
                if getattr(f, "editable", False)
                and not f.auto_created
                and f.concrete
                and f.name not in {"version", "created_at", "updated_at", "password"}
            ]
        user = self.request.user
        hidden = confidential.hidden_fields_of(user, obj)  # left out (chainboard/confidential.py)
        return [
            (field_heading(model, n), display_value(model, obj, n, user)) for n in names if n not in hidden
        ]


class FormView(EntityView):
    template = "chainboard/generic/form.html"

    def render_form(self, form, obj=None, conflict=None, status=200):
        ctx = self.context(form=form, object=obj, conflict=conflict)
        return render(self.request, self.template, ctx, status=status)


class CreateView(FormView):
    def get(self, request):
        if not scope.has_permission(request.user, "add", self.model) or self.viewset.form_class is None:
            raise PermissionDenied
        return self.render_form(self.viewset.form_class(user=request.user, initial=request.GET.dict()))

    def post(self, request):
        if self.viewset.form_class is None:
            raise PermissionDenied
        try:
            obj = actions.create(request.user, self.viewset.form_class, request.POST, request.FILES)
        except actions.InvalidData as exc:
            return self.render_form(
                exc.form or self.viewset.form_class(request.POST, user=request.user), status=400
            )
        messages.success(request, _("%(name)s saved.") % {"name": obj})
        return HttpResponseRedirect(obj.get_absolute_url())


def submitted_version(request) -> int | None:
    """The record version a form was opened at (``_version``), or None when missing or malformed."""
    raw = request.POST.get("_version", "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        return None
    return int(raw)


def stale_form_message() -> str:
    return _(
        "This form did not say which version of the record it was opened at, so it cannot be checked "
        "against newer changes. Open the record again and repeat your change."
    )


class EditView(FormView):
    def get(self, request, pk):
        obj = self.get_object("change")
        if self.viewset.form_class is None:
            raise PermissionDenied
        form = self.viewset.form_class(instance=obj, user=request.user)
        return self.render_form(form, obj)

    def post(self, request, pk):
        obj = self.get_object("change")
        if self.viewset.form_class is None:
            raise PermissionDenied
        version = submitted_version(request)
        if version is None:
            # Without the version the page was opened at there is nothing to check a newer save against:
            # refused, never saved unchecked.
            form = self.viewset.form_class(request.POST, request.FILES, instance=obj, user=request.user)
            form.add_error(None, stale_form_message())
            return self.render_form(form, obj, status=400)
        try:
            obj = actions.update(
                request.user, obj, self.viewset.form_class, request.POST, request.FILES, version=version
            )
        except actions.InvalidData as exc:
            return self.render_form(exc.form, obj, status=400)
        except actions.Conflict as exc:
            form = self.viewset.form_class(
                request.POST, request.FILES, instance=exc.instance, user=request.user
            )
            return self.render_form(form, exc.instance, conflict=exc, status=409)
        messages.success(request, _("%(name)s saved.") % {"name": obj})
        return HttpResponseRedirect(obj.get_absolute_url())


class DeleteView(EntityView):
    """Asks before deleting, and says up front what stops the deletion (chainboard/deletion.py): the
    records that depend on this one, kind by kind, counted and named; the button is then not offered."""

    def page(self, obj, refusal=None, status=200):
        ctx = self.context(object=obj, refusal=refusal)
        return render(self.request, "chainboard/generic/delete.html", ctx, status=status)

    def get(self, request, pk):
        obj = self.get_object("delete")
        _collector, refusal = deletion.check(request.user, obj)
        return self.page(obj, refusal)

    def post(self, request, pk):
        obj = self.get_object("delete")
        version = submitted_version(request)
        if version is None and hasattr(obj, "version"):
            messages.error(request, stale_form_message())
            return self.page(obj, status=400)
        try:
            actions.delete(request.user, obj, version=version)
        except actions.DeleteRefused as exc:
            return self.page(obj, deletion.Refusal(exc.message, exc.dependents), status=409)
        except actions.InvalidData as exc:
            for message in exc.errors.get("__all__", []):
                messages.error(request, message)
            return HttpResponseRedirect(obj.get_absolute_url())
        except actions.Conflict:
            messages.error(request, _("This record was changed by someone else; review it before deleting."))
            return HttpResponseRedirect(obj.get_absolute_url())
        messages.success(request, _("%(name)s deleted.") % {"name": obj})
        return HttpResponseRedirect(reverse(self.viewset.names()["list"]))

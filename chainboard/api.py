"""The JSON API under /api/v1/ (rules.md, API conventions), generated from each entity's ViewSet.

An entity joins by ``register(ViewSet)`` in its app's ``api.py``: collection ``/api/v1/<url_prefix>``
with list (``page``, ``page_size`` ≤ 500, ``q`` and the list page's filters, each declared in the OpenAPI
document from the ViewSet's filter set: see :func:`filter_schema`), detail, create, update (``PATCH`` with
the ``version`` read) and delete. Reads go through ``restrict``, many-to-many values included; writes go
through the same actions as the web forms, so they are validated, scoped and audited. Errors are
problem+json listing every field error at once.
"""

import datetime as dt
import decimal
import uuid
from typing import Annotated, Any

import django_filters
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import OperationalError, models
from django.http import Http404, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.translation import gettext as _
from django_filters.utils import get_model_field, label_for_filter
from ninja import NinjaAPI, Query, Router, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.orm import create_schema
from ninja.orm.fields import get_schema_field
from ninja.security import HttpBearer
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, WithJsonSchema, create_model

from chainboard import actions, audit, confidential, scope
from chainboard.converters import MAX_ID, is_integer_pk
from chainboard.filters import list_count, sorted_page, windowed_page
from chainboard.forms import form_data
from chainboard.models import ApiToken
from chainboard.workflow import workflow_of

PROBLEM = "application/problem+json"
MAX_PAGE_SIZE = 500
# The last page whose rows' offset fits a 64-bit integer, as SQLite and PostgreSQL count them.
MAX_PAGE = MAX_ID // MAX_PAGE_SIZE


class BearerAuth(HttpBearer):
    def authenticate(self, request, token: str):
        user = ApiToken.user_for(token)
        if user is None:
            return None
        request.user = user
        audit.current_operation().user = user  # the request's audit rows name the token's user
        return user


api = NinjaAPI(
    title="chainboard API",
    version="1",
    description="链长制工作台 JSON API. Authenticate with `Authorization: Bearer <token>` "
    "(`chainboard token create USERNAME`).",
    urls_namespace="api",
    auth=BearerAuth(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
if not settings.CHAINBOARD_API_SCHEMA_PUBLIC:
    from django.contrib.auth.decorators import login_required

    api.docs_decorator = login_required


def problem(status: int, title: str, detail: str = "", **extra) -> JsonResponse:
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        **({"detail": detail} if detail else {}),
        **extra,
    }
    return JsonResponse(body, status=status, content_type=PROBLEM, json_dumps_params={"ensure_ascii": False})


@api.exception_handler(actions.InvalidData)
def _invalid(request, exc: actions.InvalidData):
    errors = [
        {"field": None if f == "__all__" else f, "message": m} for f, ms in exc.errors.items() for m in ms
    ]
    # A form may answer otherwise: 409 for "confirm to go on" (a possible duplicate, investment/forms.py).
    status = getattr(exc.form, "problem_status", None) or 422
    title = getattr(exc.form, "problem_title", None) or _("The data is not valid.")
    return problem(status, str(title), errors=errors)


@api.exception_handler(NinjaValidationError)
def _schema_invalid(request, exc: NinjaValidationError):
    errors = []
    for e in exc.errors:
        loc = [str(p) for p in e.get("loc", []) if p not in {"body", "payload", "query", "path"}]
        errors.append({"field": ".".join(loc) or None, "message": schema_message(e)})
    return problem(422, _("The data is not valid."), errors=errors)


def schema_message(error: dict) -> str:
    """A pydantic validation error in the user's language (pydantic's own messages are English only)."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return _("Enter a whole number.")
    if kind in {"float_parsing", "float_type", "decimal_parsing", "decimal_type", "finite_number"}:
        return _("Enter a number.")
    if kind in {"less_than_equal", "less_than"}:
        limit = ctx.get("le", ctx.get("lt"))
        return _("Ensure this value is less than or equal to %(limit)s.") % {"limit": limit}
    if kind in {"greater_than_equal", "greater_than"}:
        limit = ctx.get("ge", ctx.get("gt"))
        return _("Ensure this value is greater than or equal to %(limit)s.") % {"limit": limit}
    if kind in {"string_too_long", "too_long"}:
        return _("Ensure this value has at most %(limit)s characters (items).") % {
            "limit": ctx.get("max_length")
        }
    if kind in {"string_type", "string_sub_type"}:
        return _("Enter a text.")
    if kind in {"bool_parsing", "bool_type"}:
        return _("Enter true or false.")
    if kind in {"list_type", "tuple_type", "set_type"}:
        return _("Enter a list.")
    if kind in {"date_parsing", "date_type", "date_from_datetime_parsing", "date_from_datetime_inexact"}:
        return _("Enter a valid date (YYYY-MM-DD).")
    if kind.startswith("datetime_"):
        return _("Enter a valid date and time.")
    if kind in {"enum", "literal_error"}:
        return _("Select one of: %(values)s.") % {"values": ctx.get("expected", "")}
    if kind == "missing":
        return _("This field is required.")
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return _("Send a JSON object.")
    if kind == "extra_forbidden":
        return _("This field is unknown or cannot be written here.")
    if kind == "json_invalid":
        return _("The body is not valid JSON.")
    return _("This value is not valid.")


@api.exception_handler(actions.DeleteRefused)
def _delete_refused(request, exc: actions.DeleteRefused):
    # 409: the record's present state (what depends on it) stops the deletion; the body names it.
    return problem(
        409,
        _("This record cannot be deleted."),
        exc.message,
        dependents=[d.as_dict() for d in exc.dependents],
    )


@api.exception_handler(actions.Conflict)
def _conflict(request, exc: actions.Conflict):
    changes = [
        {"user": who, "field": str(label), "before": old, "after": new}
        for who, label, old, new in exc.changes()
    ]
    return problem(
        409,
        _("This record was changed by someone else while you were editing it."),
        current_version=exc.current_version,
        changes=changes,
    )


@api.exception_handler(actions.MoveRefused)
def _move_refused(request, exc: actions.MoveRefused):
    # 409: the record's present state does not allow the move; the body names the moves it does.
    return problem(
        409,
        _("This move is not possible from the present state."),
        exc.message,
        allowed=[{"name": m.name, "label": str(m.label)} for m in exc.allowed],
    )


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return problem(403, _("You may not do this."), str(exc) if str(exc) else "")


@api.exception_handler(Http404)
def _not_found(request, exc):
    return problem(404, _("Not found."))


@api.exception_handler(ObjectDoesNotExist)
def _does_not_exist(request, exc):
    return problem(404, _("Not found."))


@api.exception_handler(AuthenticationError)
def _unauthorised(request, exc):
    return problem(401, _("A valid bearer token is required."))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return problem(exc.status_code, str(exc))


@api.exception_handler(OperationalError)
def _busy(request, exc: OperationalError):
    # A lock held too long (an import): 503 + Retry-After, as the web pages (chainboard.middleware).
    from chainboard.middleware import busy_response, is_database_busy

    if is_database_busy(exc):
        return busy_response(request)
    raise exc


def _form_fields(viewset) -> list[str]:
    return list(viewset.form_class.base_fields) if viewset.form_class else []


# ---- list filters: a query schema generated from the ViewSet's filter set --------------------------------
#
# Every list route declares its filter set's parameters in OpenAPI (name, type, English label as the
# description). The values ninja validates are handed to the same FilterSet the web list uses, written
# back in the forms it reads, so the API filters exactly the rows the list page does: types are checked
# here, choices, related rows in the user's scope and the rest by the filter set, and both answer with a
# problem+json 422 naming the field. A later entity gets all this by declaring its filter set.

_DATE_PARTS = {"year", "iso_year", "quarter", "month", "week", "week_day", "iso_week_day", "day"}
_DATE_PARTS |= {"hour", "minute", "second"}


def _blank(value: Any) -> bool:
    return isinstance(value, str) and value.strip() == ""


def _no_value(value: Any) -> Any:
    """An empty parameter (``?chain=``) means "not filtered", as in the web list."""
    if isinstance(value, list):
        return [v for v in value if not _blank(v)] or None
    return None if _blank(value) else value


def _no_yes_or_no(value: Any) -> Any:
    """The filter forms' "any" of a yes/no select ("unknown") is no value either."""
    return None if isinstance(value, str) and value.strip().lower() == "unknown" else _no_value(value)


def _pk_kind(model: type[models.Model], to_field: str | None = None) -> tuple[type, dict]:
    field = model._meta.get_field(to_field) if to_field else model._meta.pk
    while field.is_relation and getattr(field, "target_field", None) is not None:
        field = field.target_field  # a primary key that is itself a relation
    return _field_kind(field)


def _field_kind(field) -> tuple[type, dict]:
    """The Python type and JSON schema of one value of a model field."""
    if isinstance(field, models.BooleanField):
        return bool, {"type": "boolean"}
    if isinstance(field, models.IntegerField):  # AutoField, BigAutoField, SmallIntegerField, … too
        return int, {"type": "integer"}
    if isinstance(field, models.DecimalField | models.FloatField):
        return decimal.Decimal, {"type": "number"}
    if isinstance(field, models.DateTimeField):
        return dt.datetime, {"type": "string", "format": "date-time"}
    if isinstance(field, models.DateField):
        return dt.date, {"type": "string", "format": "date"}
    if isinstance(field, models.UUIDField):
        return uuid.UUID, {"type": "string", "format": "uuid"}
    return str, {"type": "string"}


def _static_choices(filt) -> list | None:
    """The values of a choice filter whose choices are fixed when the code loads; None when they are not
    (a callable, a query: they depend on the data or the user)."""
    choices = filt.extra.get("choices", getattr(filt, "choices", None))
    if choices is None or callable(choices) or isinstance(choices, models.QuerySet):
        return None
    values = []
    for key, label in choices:
        if isinstance(label, list | tuple):  # an option group
            values += [k for k, _label in label]
        else:
            values.append(key)
    values = [getattr(v, "value", v) for v in values if v not in ("", None)]
    if filt.extra.get("null_label") is not None:
        values.append(getattr(filt, "null_value", django_filters.conf.settings.NULL_CHOICE_VALUE))
    return values


def _enum(values: list) -> tuple[type, dict]:
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return int, {"type": "integer", "enum": values}
    return str, {"type": "string", "enum": [str(v) for v in values]}


def _related_model(model, filt):
    queryset = filt.extra.get("queryset")
    if isinstance(queryset, models.QuerySet):
        return queryset.model
    field = get_model_field(model, filt.field_name)
    return getattr(field, "related_model", None)


def _filter_value_kind(model: type[models.Model], filt) -> tuple[type, dict]:
    """The type and JSON schema of one value of a filter (one item of a multiple-choice filter)."""
    if isinstance(filt, django_filters.ModelChoiceFilter | django_filters.ModelMultipleChoiceFilter):
        related = _related_model(model, filt)
        if related is None:
            return str, {"type": "string"}
        return _pk_kind(related, filt.extra.get("to_field_name"))
    if isinstance(
        filt,
        django_filters.ChoiceFilter | django_filters.TypedChoiceFilter | django_filters.MultipleChoiceFilter,
    ):
        values = _static_choices(filt)
        return _enum(values) if values else (str, {"type": "string"})
    if isinstance(filt, django_filters.BooleanFilter):
        return bool, {"type": "boolean"}
    if isinstance(filt, django_filters.IsoDateTimeFilter | django_filters.DateTimeFilter):
        return dt.datetime, {"type": "string", "format": "date-time"}
    if isinstance(filt, django_filters.DateFilter):
        return dt.date, {"type": "string", "format": "date"}
    if isinstance(filt, django_filters.TimeFilter):
        return dt.time, {"type": "string", "format": "time"}
    if isinstance(filt, django_filters.UUIDFilter):
        return uuid.UUID, {"type": "string", "format": "uuid"}
    if isinstance(filt, django_filters.NumberFilter):
        lookups = set(filt.lookup_expr.split("__")) if isinstance(filt.lookup_expr, str) else set()
        field = get_model_field(model, filt.field_name)
        if lookups & _DATE_PARTS or isinstance(field, models.IntegerField):
            return int, {"type": "integer"}
        return decimal.Decimal, {"type": "number"}
    if isinstance(filt, django_filters.DateFromToRangeFilter):
        return dt.date, {"type": "string", "format": "date"}
    if isinstance(
        filt, django_filters.DateTimeFromToRangeFilter | django_filters.IsoDateTimeFromToRangeFilter
    ):
        return dt.datetime, {"type": "string", "format": "date-time"}
    if isinstance(filt, django_filters.TimeRangeFilter):
        return dt.time, {"type": "string", "format": "time"}
    if isinstance(filt, django_filters.RangeFilter | django_filters.NumericRangeFilter):
        return decimal.Decimal, {"type": "number"}
    return str, {"type": "string"}  # CharFilter, CSV filters ("a,b"), anything else: as text


def _filter_label(model, name: str, filt) -> str:
    """The filter's label as its English msgid ("region", "Search"), whatever language is active."""
    label = filt._label  # read without the ``label`` property, which would cache it on the shared filter
    with translation.override("en"):
        if label is None:
            label = label_for_filter(model, filt.field_name, filt.lookup_expr, filt.exclude) or name
        text = str(label)
        help_text = filt.extra.get("help_text")
        if help_text:
            text = f"{text}: {help_text}"
    return text


def _filter_params(model: type[models.Model], name: str, filt) -> list[tuple[str, type, dict, str]]:
    """(parameter name, value type, JSON schema, description) for each query parameter a filter reads."""
    kind, schema = _filter_value_kind(model, filt)
    description = _filter_label(model, name, filt)
    widget = filt.extra.get("widget") or getattr(filt.field_class, "widget", None)
    suffixes = getattr(widget, "suffixes", None)
    if suffixes:  # range filters read name_min and name_max (name_after, name_before for dates)
        params = []
        for suffix in suffixes:
            if suffix == "lookup":  # LookupChoiceFilter: the value, and the lookup to apply to it
                params.append((f"{name}_lookup", str, {"type": "string"}, description))
            else:
                params.append((f"{name}_{suffix}" if suffix else name, kind, schema, description))
        return params
    if isinstance(filt, django_filters.MultipleChoiceFilter):
        return [(name, list[kind], {"type": "array", "items": schema}, description)]
    return [(name, kind, schema, description)]


def filter_schema(model: type[models.Model], filterset_class, schema_name: str) -> type[Schema] | None:
    """A query schema with one optional parameter per filter of ``filterset_class`` (None: no filter).

    ``q`` is declared only where the filter set searches (``search_fields``), as ScopedFilterSet drops
    it otherwise.
    """
    if filterset_class is None:
        return None
    fields: dict[str, Any] = {}
    for name, filt in filterset_class.base_filters.items():
        if name == "q" and not getattr(filterset_class, "search_fields", ()):
            continue
        for param, kind, schema, description in _filter_params(model, name, filt):
            blank = _no_yes_or_no if kind is bool else _no_value
            annotation = Annotated[kind | None, BeforeValidator(blank), WithJsonSchema(schema)]
            # Internal field names: a filter may be called "copy", "json" or "schema".
            fields[f"filter_{len(fields)}"] = (
                annotation,
                Field(None, alias=param, title=param, description=description),
            )
    if not fields:
        return None
    return create_model(schema_name, __base__=Schema, **fields)


def _query_text(value: Any) -> str:
    """A validated value written back as the filter set's form reads it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def filter_data(filters: Schema | None) -> QueryDict:
    data = QueryDict(mutable=True)
    if filters is None:
        return data
    for name, value in filters.model_dump(by_alias=True, exclude_none=True).items():
        data.setlist(name, [_query_text(v) for v in (value if isinstance(value, list) else [value])])
    return data


class RowReader:
    """The values an entity's Out schema reads, as plain dicts, for a list page or one record.

    The columns come in one query (``values()``: no model instance is built, a page of the API is read,
    not edited), each many-to-many field's ids in one more per field for all the rows (not one per row),
    read from the link table alone, ids ascending, and only those of related rows in the user's scope:
    an enterprise's chains are those of its chains the user may see (an office sees its own chain, not
    the enterprise's other ones). A file is given by its URL, as ninja gives a model's FieldFile.
    """

    def __init__(self, model: type[models.Model], out_fields: list[str]):
        self.many_to_many = [f for f in model._meta.many_to_many if f.name in out_fields]
        m2m_names = {f.name for f in self.many_to_many}
        scalar = [model._meta.get_field(f) for f in out_fields if f not in m2m_names]
        # Keyed as the Out schema reads them: a foreign key by its column ("region_id"), the rest by name.
        self.columns = [f.attname for f in scalar]
        self.file_fields = [f for f in scalar if isinstance(f, models.FileField)]
        self.pk_key = model._meta.pk.attname
        self.model = model

    def rows(self, queryset: models.QuerySet, user, *, hidden: frozenset[str] | None = None) -> list[dict]:
        items = list(queryset.values(*self.columns))
        # Confidential fields the user may not read are null (chainboard/confidential.py); ``hidden``
        # is the one record's own answer when given.
        for name in confidential.hidden_fields(user, self.model) if hidden is None else hidden:
            blank = None if self.model._meta.get_field(name).null else ""  # what the schema accepts
            for item in items:
                if name in item:
                    item[name] = blank
        for field in self.file_fields:
            for item in items:
                name = item[field.attname]
                item[field.attname] = field.storage.url(name) if name else None
        if items and self.many_to_many:
            by_pk = {item[self.pk_key]: item for item in items}
            for field in self.many_to_many:
                for item in items:
                    item[field.name] = []
                for owner, target in self.links(field, list(by_pk), user):
                    by_pk[owner][field.name].append(target)
        return items

    @staticmethod
    def links(field, pks: list, user) -> models.QuerySet:
        """(row, related id) pairs of a many-to-many field for the rows ``pks``."""
        through = field.remote_field.through._meta
        source = through.get_field(field.m2m_field_name()).attname
        target = through.get_field(field.m2m_reverse_field_name()).attname
        pairs = through.model._base_manager.filter(**{f"{source}__in": pks})
        related = field.related_model._default_manager.all()
        if hasattr(related, "restrict"):
            visible = related.restrict(user, "view")
            if visible is not related:  # restrict hands back the very queryset when nothing is hidden
                pairs = pairs.filter(**{f"{target}__in": visible.values("pk")})
        return pairs.order_by(target).values_list(source, target)


registered: dict[type[models.Model], tuple[type[Schema], RowReader]] = {}  # model: (its Out, its reader)

# An id in a request body: a whole number a database can hold. Pydantic refuses null, a list or an object
# with a 422 naming the field ("segments.0"); ninja's own id type for a many-to-many list called int() on
# each item, so ``"segments": [null]`` or ``[[1]]`` raised a TypeError (a 500), and 2**63 reached SQLite.
RelatedId = Annotated[int, Field(ge=1, le=MAX_ID)]


class WriteBody(Schema):
    """A create or update body. A key the entity does not have is refused (422 naming it), never ignored:
    ``{"user": 7}`` on a schema that only knew ``user_id`` used to answer 200 and change nothing. A relation
    is named as the API shows it (``chain``) or by its column (``chain_id``)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def write_schema(
    model: type[models.Model], name: str, fields: list[str], extra: dict | None = None
) -> type[Schema]:
    """The create or update body: ``fields``, all optional, relations by id (see ``RelatedId``), and the
    ViewSet's ``api_form_fields``: form fields that are no model field, {name: (type, description)}."""
    custom = [
        (field_name, kind | None, Field(None, description=description))
        for field_name, (kind, description) in (extra or {}).items()
    ]
    for field_name in fields:
        field = model._meta.get_field(field_name)
        if not field.is_relation or not is_integer_pk(field.related_model):
            continue
        _kind, info = get_schema_field(field, optional=True)  # its alias, title and description
        kind = list[RelatedId] if field.many_to_many else RelatedId
        custom.append((field_name, kind | None, info))
    return create_schema(
        model, name=name, fields=fields, optional_fields="__all__", custom_fields=custom, base_class=WriteBody
    )


def register(viewset, *, router_tag: str | None = None) -> Router:
    """Expose a ViewSet's entity at /api/v1/<url_prefix>."""
    model = viewset.model
    name = model.__name__
    model_fields = {f.name for f in model._meta.get_fields() if getattr(f, "concrete", False)}
    out_fields = ["id" if model._meta.pk.name == "id" else model._meta.pk.name]
    out_fields += [
        f for f in (list(getattr(model, "detail_fields", ())) or _form_fields(viewset)) if f in model_fields
    ]
    for extra in ("version", "is_sample", "source"):
        if extra in model_fields and extra not in out_fields:
            out_fields.append(extra)
    out_fields = list(dict.fromkeys(f for f in out_fields if f not in {"password"}))
    Out = create_schema(model, name=f"{name}Out", fields=out_fields)
    ListOut = create_model(
        f"{name}List",
        items=(list[Out], ...),
        count=(int, ...),
        # A search (q) counts its matches up to SEARCH_COUNT_CAP: past it, count is the cap and this true.
        count_capped=(bool, Field(False, description="count stopped at the cap: more rows match")),
        __base__=Schema,
    )
    # A page's rows are dicts keyed as Out reads them (RowReader), checked against Out's own fields by a
    # plain pydantic model: ninja's Schema would read every value through its DjangoGetter, in Python
    # (100 enterprises: 1.8 ms against 0.3; bench/README.md, "The API's rows checked in pydantic"). The
    # same fields, aliases and types, so the same JSON; ListOut stays the documented response.
    out_row = create_model(
        f"{name}OutRow", __base__=BaseModel, **{key: (f.annotation, f) for key, f in Out.model_fields.items()}
    )
    check_rows = TypeAdapter(list[out_row]).validate_python
    writable = [f for f in _form_fields(viewset) if f in model_fields]
    # Every field optional in the schema: the form decides what is required, with the UI's messages.
    extra = getattr(viewset, "api_form_fields", None)
    In = write_schema(model, f"{name}In", writable, extra) if writable else None
    Patch = write_schema(model, f"{name}Patch", writable, extra) if writable else None
    router = Router(tags=[router_tag or str(model._meta.verbose_name_plural)])
    pk_type = str if not isinstance(model._meta.pk, models.AutoField | models.BigAutoField) else int

    class Paging(Schema):
        # A page beyond the last is empty; one whose offset no database can count to is refused (422).
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int = Field(25, ge=1, le=MAX_PAGE_SIZE)

    reader = RowReader(model, out_fields)

    def read(user, pk):
        rows = model.objects.restrict(user, "view").filter(pk=pk)
        hidden = None
        if confidential.hidden_fields(user, model):  # one record: its own answer (another query)
            obj = rows.first()
            hidden = confidential.hidden_fields_of(user, obj) if obj is not None else None
        found = reader.rows(rows, user, hidden=hidden)
        if not found:
            raise Http404
        return found[0]

    # q and the filter set's filters, declared in OpenAPI (filter_schema); None: the list has none.
    Filters = filter_schema(model, viewset.filterset_class, f"{name}Filters")

    def list_rows(request, paging: Paging, filters: Schema | None):
        if not scope.has_permission(request.user, "view", model):
            raise PermissionDenied
        queryset = model.objects.restrict(request.user, "view")
        filterset = None
        if viewset.filterset_class is not None:
            # The web list's own filter set, so the API filters exactly the rows the list page shows.
            filterset = viewset.filterset_class(filter_data(filters), queryset=queryset, request=request)
            filterset.reads_matches = True  # as the list page (ScopedFilterSet.matches_in_scope)
            filterset.scope_of = (request.user, "view")  # its queryset is that scope (counts carry it)
            if not filterset.is_valid():
                raise actions.InvalidData({k: [str(m) for m in v] for k, v in filterset.errors.items()})
            queryset = filterset.qs
        queryset = queryset.order_by(*viewset.table.default_order)
        start = (paging.page - 1) * paging.page_size
        stop = start + paging.page_size
        # As the list page (docs/lists.md): by a read of the search's matches, capped, or counted.
        count, capped = list_count(queryset, filterset)
        # As the list page: matches past the cap that sort together far into the order are read and
        # sorted, not walked to (filters.sorted_page); many filtered rows on SQLite are looked for in a
        # window of the scope's first rows (filters.windowed_page).
        rows = sorted_page(queryset, filterset, stop) if filterset is not None else None
        if rows is None and filterset is not None:
            rows = windowed_page(queryset, filterset, min(stop, count), count)
        page = (queryset if rows is None else rows)[start:stop]
        items = check_rows(reader.rows(page, request.user))
        body = {"items": [item.model_dump() for item in items], "count": count, "count_capped": capped}
        return api.create_response(request, body, status=200)

    list_route = router.get(
        "",
        response=ListOut,
        operation_id=f"list_{viewset.url_prefix}",
        summary=f"List {model._meta.verbose_name_plural}",
    )
    if Filters is not None:

        @list_route
        def list_items(request, paging: Query[Paging], filters: Query[Filters]):
            return list_rows(request, paging, filters)

    else:

        @list_route
        def list_items(request, paging: Query[Paging]):
            return list_rows(request, paging, None)

    @router.get("/{pk}", response=Out, operation_id=f"get_{viewset.url_prefix}", summary=f"Get one {name}")
    def get_item(request, pk: pk_type):
        return read(request.user, pk)

    if In is not None:

        @router.post(
            "", response={201: Out}, operation_id=f"create_{viewset.url_prefix}", summary=f"Create a {name}"
        )
        def create_item(request, payload: In):
            obj = actions.create(request.user, viewset.form_class, form_data(None, writable, payload.dict()))
            return Status(201, read(request.user, obj.pk))

        @router.patch(
            "/{pk}",
            response=Out,
            operation_id=f"update_{viewset.url_prefix}",
            summary=f"Update a {name} (send the version you read)",
        )
        def update_item(request, pk: pk_type, payload: Patch, version: int):
            obj = get_object_or_404(model.objects.restrict(request.user, "view"), pk=pk)
            data = form_data(obj, writable, payload.dict(exclude_unset=True))
            obj = actions.update(request.user, obj, viewset.form_class, data, version=version)
            return read(request.user, obj.pk)

    def delete(request, pk, version: int | None):
        obj = get_object_or_404(model.objects.restrict(request.user, "view"), pk=pk)
        actions.delete(request.user, obj, version=version)
        return Status(204, None)

    delete_route = router.delete(
        "/{pk}", response={204: None}, operation_id=f"delete_{viewset.url_prefix}", summary=f"Delete a {name}"
    )
    if any(f.name == "version" for f in model._meta.concrete_fields):
        # The version read is required, as for an update: a delete is never made unchecked.
        @delete_route
        def delete_item(request, pk: pk_type, version: int):
            return delete(request, pk, version)

    else:

        @delete_route
        def delete_unversioned_item(request, pk: pk_type):
            return delete(request, pk, None)

    if getattr(viewset, "instructions", False):
        from chainboard.instructions_api import add_routes  # it builds on this module's handlers

        add_routes(router, viewset, pk_type)

    if workflow_of(model) is not None:
        _register_transitions(router, viewset, pk_type, read, Out)
    api.add_router(f"/{viewset.url_prefix}", router)
    registered[model] = (Out, reader)
    return router


class MoveOut(Schema):
    name: str
    label: str


class TransitionOut(Schema):
    name: str
    label: str
    from_state: str
    to_state: str
    actor: str
    time: dt.datetime
    comment: str
    data: dict[str, Any]


class TimelineOut(Schema):
    state: str
    moves: list[MoveOut] = Field(description="The moves the present state allows that you may make.")
    items: list[TransitionOut] = Field(description="The record's moves, newest first.")


class TransitionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(description="The version you read: a newer one in the database is a conflict.")
    comment: str = ""
    data: dict[str, Any] = Field(
        default_factory=dict, description="The fields the move sets, e.g. started_on or halt_reason."
    )


def _register_transitions(router: Router, viewset, pk_type, read, Out) -> None:
    """``GET /{pk}/transitions`` (the timeline) and ``POST /{pk}/transitions/{name}`` (a move, through
    ``actions.transition``) for a model with a workflow (docs/workflows.md)."""
    from chainboard.views.transitions import move_links, timeline

    model = viewset.model
    name = model.__name__

    @router.get(
        "/{pk}/transitions",
        response=TimelineOut,
        operation_id=f"list_{viewset.url_prefix}_transitions",
        summary=f"A {name}'s moves through its workflow, and the moves possible now",
    )
    def list_transitions(request, pk: pk_type):
        obj = get_object_or_404(model.objects.restrict(request.user, "view"), pk=pk)
        return {
            "state": workflow_of(model).state(obj),
            "moves": [
                {"name": m["move"].name, "label": str(m["move"].label)} for m in move_links(request.user, obj)
            ],
            "items": [
                {
                    "name": item["row"].name,
                    "label": str(item["label"]),
                    "from_state": item["row"].from_state,
                    "to_state": item["row"].to_state,
                    "actor": item["row"].actor_name,
                    "time": item["row"].time,
                    "comment": item["row"].comment,
                    "data": item["row"].data,
                }
                for item in timeline(obj)
            ],
        }

    @router.post(
        "/{pk}/transitions/{move}",
        response=Out,
        operation_id=f"move_{viewset.url_prefix}",
        summary=f"Move a {name} through its workflow (send the version you read)",
    )
    def make_transition(request, pk: pk_type, move: str, payload: TransitionIn):
        obj = get_object_or_404(model.objects.restrict(request.user, "view"), pk=pk)
        try:
            workflow_of(model).get(move)
        except LookupError as exc:
            raise Http404 from exc
        data = {k: "" if v is None else str(v) for k, v in payload.data.items()}
        actions.transition(
            request.user, obj, move, comment=payload.comment, data=data, version=payload.version
        )
        return read(request.user, obj.pk)

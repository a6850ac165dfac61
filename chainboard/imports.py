"""Import rows from a spreadsheet into any entity that has a ViewSet with a form.

The columns are the entity's form fields, found in the file's header by their labels in Chinese or
English, their field names or aliases the model declares (``import_aliases``). A header may carry a
money unit, "总投资（万元）": the value is multiplied into yuan. A title row above the header, a
two-row (merged) header and a 序号 column are recognised; blank rows and 合计 rows are skipped.

A key column means update: ``id`` (or the primary key the form shows, such as a region code) and any
field the model lists in ``import_keys`` (the enterprise's USCC). A row whose key finds a record the
user may change updates it, using only the columns the file fills in (a blank cell leaves the value
as it is); a row without a key, or whose natural key finds nothing, creates a record.

Every row is validated by the entity's own form (the same messages as the web page), with the
relation columns resolved in one query per column instead of one per row, and uniqueness checked in
bulk. :meth:`Importer.run` writes all rows in one transaction, checks that every written row lies in
the user's scope, and writes one audit row per record and the search keys; with ``commit=False`` it
does all of that except the audit and search work and rolls back (the preview is a dry run, so scope
and database constraints are checked before the user commits). Any error means nothing is written.
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from chainboard import audit, bulkwrite, scope, search, searchdebts
from chainboard.forms import form_data
from chainboard.models.audit import AuditAction

UNITS = {"元": 1, "千元": 1_000, "万元": 10_000, "亿元": 100_000_000}
IGNORED_HEADERS = {"序号", "no", "no.", "#", "行号"}
TOTAL_MARKERS = {"合计", "总计", "小计", "total"}
NUMBER_BLANKS = {"—", "－", "-", "--", "/", "／", "——"}
TRUE_WORDS = {"1", "true", "yes", "y", "是", "√", "✓", "有", "t"}
FALSE_WORDS = {"0", "false", "no", "n", "否", "×", "无", "f"}
LIST_SPLIT = re.compile(r"\s*[;；,，、|\n]\s*")
HEADER_SCAN_ROWS = 20
MAX_ERRORS = 1_000
PREVIEW_ROWS = 20
CHUNK = 500
BATCH = 1_000
_HEADER_SPACE = re.compile(r"[\s\u3000]+")
_UNIT = re.compile(r"^(.*?)[(（\[【]\s*(元|千元|万元|亿元)\s*[)）\]】]$")


def normalise_header(text: str) -> tuple[str, str]:
    """("总投资", "万元") for "总投资（万元）*"; lower-cased, spaces and required-markers removed."""
    text = _HEADER_SPACE.sub("", str(text or "")).strip("*＊")
    unit = ""
    match = _UNIT.match(text)
    if match:
        text, unit = match.group(1), match.group(2)
    return text.replace("（", "(").replace("）", ")").lower(), unit


class ImportError_(Exception):
    """The import cannot go on (no header found, nothing mapped); the message is for the user."""


@dataclass
class Column:
    """One field of the entity that a file column can fill."""

    name: str
    label: str
    form_field: forms.Field
    required: bool
    key: bool = False
    money: bool = False
    many: bool = False
    related: type[models.Model] | None = None
    boolean: bool = False
    numeric: bool = False
    choices: dict[str, str] = field(default_factory=dict)
    help: str = ""


@dataclass
class RowError:
    row: int
    column: str
    field: str
    value: str
    message: str

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "column": self.column,
            "field": self.field,
            "value": self.value,
            "message": self.message,
        }


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    preview: list[dict] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)
    total: int = 0

    @property
    def ok(self) -> bool:
        return self.error_count == 0


class _Rollback(Exception):
    pass


def _labels(value) -> list[str]:
    """A lazy label in every language the UI speaks."""
    out = []
    for language in ("zh-hans", "en"):
        with translation.override(language):
            out.append(str(value))
    return out


class Spec:
    """What a file may fill for one entity, as one user sees it (their form's fields)."""

    def __init__(self, viewset, user):
        self.viewset = viewset
        self.model = viewset.model
        self.user = user
        self.form = viewset.form_class(user=user)
        meta = self.model._meta
        self.pk_name = meta.pk.name
        self.auto_pk = isinstance(meta.pk, models.AutoField | models.BigAutoField)
        model_fields = {f.name: f for f in meta.get_fields() if getattr(f, "concrete", False)}
        money = set(getattr(self.model, "money_fields", ()))
        self.columns: dict[str, Column] = {}
        if self.auto_pk:
            self.columns["id"] = Column(
                name="id",
                label=_("ID"),
                form_field=forms.IntegerField(required=False, min_value=1),
                required=False,
                key=True,
                numeric=True,
                help=_("Fill in to update that record; leave blank to add a new one."),
            )
        for name, form_field in self.form.fields.items():
            model_field = model_fields.get(name)
            if model_field is None:
                continue
            column = Column(
                name=name,
                label=str(form_field.label or model_field.verbose_name),
                form_field=form_field,
                required=form_field.required,
                key=name in getattr(self.model, "import_keys", ()) or name == self.pk_name,
                money=name in money,
                many=bool(model_field.many_to_many),
                related=model_field.related_model if model_field.is_relation else None,
                boolean=isinstance(form_field, forms.BooleanField),
                numeric=isinstance(form_field, forms.IntegerField | forms.DecimalField | forms.FloatField),
                help=str(form_field.help_text or ""),
            )
            if isinstance(form_field, forms.ChoiceField) and not isinstance(
                form_field, forms.ModelChoiceField
            ):
                for value, label in form_field.choices:
                    if value in ("", None):
                        continue
                    for text in [str(value), *_labels(label)]:
                        column.choices[text.strip().lower()] = str(value)
            self.columns[name] = column
        self.keys = [c.name for c in self.columns.values() if c.key]
        self._by_header: dict[str, str] = {}
        for column in self.columns.values():
            candidates = [column.name, column.label]
            model_field = model_fields.get(column.name)
            if model_field is not None:
                candidates += _labels(model_field.verbose_name)
            if column.name == "id":
                candidates += ["id", "ID", "编号"]
            candidates += list(getattr(self.model, "import_aliases", {}).get(column.name, ()))
            for text in candidates:
                key, _unit = normalise_header(text)
                self._by_header.setdefault(key, column.name)

    def match(self, header: str) -> str | None:
        key, _unit = normalise_header(header)
        return self._by_header.get(key)

    def template_headers(self) -> list[str]:
        out = []
        for column in self.columns.values():
            label = column.label
            if column.money:
                # "产值（元）" is stored in yuan; the template asks for 万元, as the bureau's sheets do.
                match = _UNIT.match(_HEADER_SPACE.sub("", label))
                label = f"{match.group(1) if match else label}（万元）"
            out.append(f"{label}*" if column.required else label)
        return out


def find_header(rows: list[list[str]], spec: Spec) -> tuple[int, list[str]]:
    """The header row (0-based) and its column titles, merged headers resolved.

    The header is the row among the first ones whose cells name the most fields. Where the row above
    it holds group titles (a merged cell spans its children: only the first cell has the text), each
    child is tried alone, then as group + child, then the group alone for a blank child.
    """
    best, best_score = -1, 0
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        score = sum(1 for cell in row if cell and spec.match(cell))
        if score > best_score:
            best, best_score = index, score
    if best < 0:
        # No title names a field: the first row with several cells is the header, mapped by hand.
        best = next((i for i, row in enumerate(rows[:HEADER_SCAN_ROWS]) if sum(1 for c in row if c) > 1), -1)
        if best < 0:
            raise ImportError_(
                _("The file has no header row: no row among the first %(n)s has two or more cells.")
                % {"n": HEADER_SCAN_ROWS}
            )
        return best, list(rows[best])
    headers = list(rows[best])
    if best > 0:
        above = rows[best - 1]
        # A title row (one cell of text) is not a group header.
        if sum(1 for c in above if c) > 1:
            group = ""
            for i in range(len(headers)):
                group = above[i] if i < len(above) and above[i] else group
                child = headers[i]
                if child and spec.match(child):
                    continue
                if not group:
                    continue
                if child and spec.match(group + child):
                    headers[i] = group + child
                elif not child:
                    headers[i] = group
    return best, headers


def auto_mapping(spec: Spec, headers: list[str], remembered: dict[str, str] | None = None) -> dict[str, str]:
    """Column index (string) -> field name: the user's remembered choice, else the header's field."""
    remembered = remembered or {}
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for index, header in enumerate(headers):
        if not header:
            continue
        key, _unit = normalise_header(header)
        if key in remembered:
            name = remembered[key]
            if name and name in spec.columns and name not in used:
                mapping[str(index)] = name
                used.add(name)
            continue
        if key in IGNORED_HEADERS:
            continue
        name = spec.match(header)
        if name and name not in used:
            mapping[str(index)] = name
            used.add(name)
    return mapping


class _Lookup:
    """Resolve a relation column's values (primary key, code or name) with one query per column."""

    def __init__(self, column: Column, values: set[str]):
        self.column = column
        model = column.related
        queryset = column.form_field.queryset
        self.fields = list(getattr(model, "import_lookup_fields", None) or _default_lookup_fields(model))
        self.by_value: dict[str, list[models.Model]] = defaultdict(list)
        values = {v for v in values if v}
        pk_name = model._meta.pk.name
        pk_field = model._meta.pk
        values_list = sorted(values)
        for start in range(0, len(values_list), CHUNK):
            chunk = values_list[start : start + CHUNK]
            condition = models.Q()
            pk_values = _typed(pk_field, chunk)
            if pk_values:
                condition |= models.Q(pk__in=pk_values)
            for name in self.fields:
                condition |= models.Q(**{f"{name}__in": chunk})
            if not condition:
                continue
            for obj in queryset.filter(condition):
                keys = {str(getattr(obj, pk_name))}
                keys |= {str(getattr(obj, name)) for name in self.fields if getattr(obj, name, None)}
                for key in keys & values:
                    if obj not in self.by_value[key]:
                        self.by_value[key].append(obj)
        self.extra: dict[str, models.Model] = {}

    def resolve(self, value: str) -> models.Model:
        found = self.by_value.get(value) or ([self.extra[value]] if value in self.extra else [])
        if not found:
            message = self.column.form_field.error_messages.get("invalid_choice", "")
            if "%(value)s" in message:
                raise ValidationError(message % {"value": value})
            raise ValidationError(
                _("%(value)s is not a %(what)s you may choose.")
                % {"value": value, "what": self.column.related._meta.verbose_name}
            )
        if len(found) > 1:
            by_pk = [o for o in found if str(o.pk) == value]
            if len(by_pk) == 1:
                return by_pk[0]
            codes = "、".join(str(o.pk) for o in found[:5]) + ("…" if len(found) > 5 else "")
            raise ValidationError(
                _("%(count)s %(what)s are called %(value)s; give the code instead (%(codes)s).")
                % {
                    "count": len(found),
                    "what": self.column.related._meta.verbose_name_plural,
                    "value": value,
                    "codes": codes,
                }
            )
        return found[0]


def _typed(field, texts) -> list:
    """The texts that ``field`` can hold, as its Python values (the others cannot match anything)."""
    out = []
    for text in texts:
        try:
            out.append(field.to_python(text))
        except ValidationError:
            continue
    return out


def _default_lookup_fields(model) -> list[str]:
    names = {f.name for f in model._meta.concrete_fields}
    return [n for n in ("code", "name") if n in names and n != model._meta.pk.name]


class RowValidator:
    """The entity's form, built once and re-bound per row (forms copy their fields when built, which
    costs more than validating a row). Relation fields resolve through :class:`_Lookup`; uniqueness
    is checked in bulk by the importer, so the form's per-row unique queries are switched off.

    :meth:`validate` runs the steps of ``ModelForm.full_clean`` (each field's ``clean`` and
    ``clean_<name>``, the form's ``clean``, the instance built from the cleaned data, the model's
    ``full_clean``) with what depends on the form alone worked out once here instead of once per row:
    which fields the model does not validate again, which fields the instance takes, each field's
    widget and hook. At 100,000 rows Django's per-row bookkeeping (bound fields, the exclusion and
    construction loops over every model field) cost more than the validation itself.
    ``test_imports.test_row_validator_agrees_with_the_form`` holds it to the form's results.
    """

    def __init__(self, spec: Spec, lookups: dict[str, _Lookup]):
        self.spec = spec
        form = self.form = spec.form  # its fields are the columns' (their cleaning is replaced below)
        form.validate_unique = lambda: None
        for name, lookup in lookups.items():
            form_field = form.fields[name]
            if spec.columns[name].many:
                form_field.clean = _many_cleaner(lookup, form_field)
            else:
                form_field.clean = _one_cleaner(lookup, form_field)
        # (name, field, widget, name in the data, clean_<name> hook, whether the field cleans its own
        # way: a file field compares with its initial value, so it goes through its bound field)
        self.plan = [
            (
                name,
                f,
                f.widget,
                form.add_prefix(name),
                getattr(form, f"clean_{name}", None),
                type(f)._clean_bound_field is not forms.Field._clean_bound_field,
            )
            for name, f in form.fields.items()
        ]
        # ModelForm._get_validation_exclusions, the parts that do not depend on the row. The lookups
        # already proved that each related row exists (and is one the user may pick): the model's own
        # check would ask the database again, once per row and field.
        meta = form._meta
        self.excluded = set(lookups)
        self.empty_excluded = []  # (name, form field): excluded when the cleaned value is empty
        self.model_fields = set()
        for f in form.instance._meta.fields:
            name = f.name
            self.model_fields.add(name)
            if (
                name not in form.fields
                or (meta.fields and name not in meta.fields)
                or (meta.exclude and name in meta.exclude)
            ):
                self.excluded.add(name)
            elif not f.blank and not form.fields[name].required:
                self.empty_excluded.append((name, form.fields[name]))
        self.excluded |= {
            n for n, f in form.fields.items() if isinstance(f, forms.models.InlineForeignKeyField)
        }
        # construct_instance: the model fields the form sets, file fields last.
        construct = [
            f
            for f in form.instance._meta.fields
            if f.editable
            and not isinstance(f, models.AutoField)
            and (meta.fields is None or f.name in meta.fields)
            and not (meta.exclude and f.name in meta.exclude)
        ]
        self.construct = [f for f in construct if not isinstance(f, models.FileField)]
        self.construct += [f for f in construct if isinstance(f, models.FileField)]
        # A form that changes these steps is run as it is, by full_clean.
        self.standard = (
            type(form)._post_clean is forms.BaseModelForm._post_clean
            and type(form)._clean_fields is forms.BaseForm._clean_fields
            and type(form)._get_validation_exclusions is forms.BaseModelForm._get_validation_exclusions
            and not form.empty_permitted
        )
        exclusions = form._get_validation_exclusions
        form._get_validation_exclusions = lambda: exclusions() | set(lookups)

    def validate(self, data: dict, instance: models.Model) -> forms.BaseForm:
        form = self.form
        form.data = data
        form.files = {}
        form.is_bound = True
        form.instance = instance
        if not self.standard:
            form._errors = None
            # The bound fields are kept from row to row: they read the new data when asked (only their
            # cached initial value, which cleaning does not use, would be stale).
            form.full_clean()
            return form
        form._errors = forms.utils.ErrorDict(renderer=form.renderer)
        cleaned = form.cleaned_data = {}
        for name, form_field, widget, html_name, hook, own_way in self.plan:
            try:
                if own_way:
                    cleaned[name] = form_field._clean_bound_field(form[name])
                elif form_field.disabled:
                    cleaned[name] = form_field.clean(form.get_initial_for_field(form_field, name))
                else:
                    cleaned[name] = form_field.clean(widget.value_from_datadict(data, form.files, html_name))
                if hook is not None:
                    cleaned[name] = hook()
            except ValidationError as exc:
                form.add_error(name, exc)
        form._clean_form()
        self._post_clean(form, instance)
        return form

    def _post_clean(self, form, instance: models.Model) -> None:
        cleaned = form.cleaned_data
        exclude = self.excluded | (form._errors.keys() & self.model_fields)
        for name, form_field in self.empty_excluded:
            if cleaned.get(name) in form_field.empty_values:
                exclude.add(name)
        try:
            for f in self.construct:
                name = f.name
                if name not in cleaned:
                    continue
                # Defaults stay for fields the row does not fill (checkboxes aside: see construct_instance).
                if (
                    f.has_default()
                    and form.fields[name].widget.value_omitted_from_data(
                        form.data, form.files, form.add_prefix(name)
                    )
                    and cleaned.get(name) in form.fields[name].empty_values
                ):
                    continue
                f.save_form_data(instance, cleaned[name])
        except ValidationError as exc:
            form._update_errors(exc)
        try:
            instance.full_clean(exclude=exclude, validate_unique=False)
        except ValidationError as exc:
            form._update_errors(exc)


def _one_cleaner(lookup: _Lookup, form_field) -> Callable:
    def clean(value):
        if value in (None, ""):
            if form_field.required:
                raise ValidationError(form_field.error_messages["required"], code="required")
            return None
        return lookup.resolve(str(value))

    return clean


def _many_cleaner(lookup: _Lookup, form_field) -> Callable:
    def clean(value):
        values = value if isinstance(value, list) else ([value] if value else [])
        if not values:
            if form_field.required:
                raise ValidationError(form_field.error_messages["required"], code="required")
            return []
        return [lookup.resolve(str(v)) for v in values]

    return clean


@dataclass
class _CheckContext:
    """What checking a row needs besides the row: built once per file."""

    validator: RowValidator
    lookups: dict[str, _Lookup]
    form_fields: list[str]  # the form's fields a record's current values fill (updates)
    index_of: dict[str, int]  # field name -> the file's column
    new: Callable[[], models.Model]  # a new record (bulkwrite.builder)


@dataclass
class _Row:
    number: int
    cells: dict[str, str]  # field name -> raw text
    instance: models.Model | None = None
    existing: bool = False
    before: dict | None = None
    related: dict[str, list] = field(default_factory=dict)  # m2m field -> objects
    changed: list[str] = field(default_factory=list)
    action: str = "create"
    label: str = ""  # the record's name before the file changed it


class Importer:
    """Check and write the rows of one file. ``rows`` are the file's rows as strings."""

    def __init__(
        self,
        viewset,
        user,
        rows: list[list[str]],
        header_row: int,
        mapping: dict[str, str],
        *,
        headers: list[str] | None = None,
        progress: Callable[[int, int], None] | None = None,
        on_phase: Callable[[str], None] | None = None,
    ):
        self.viewset = viewset
        self.model = viewset.model
        self.user = user
        self.spec = Spec(viewset, user)
        self.header_row = header_row
        self.headers = headers if headers is not None else list(rows[header_row])
        self.mapping = {int(k): v for k, v in mapping.items() if v and v in self.spec.columns}
        self.rows = rows
        self.progress = progress
        self.on_phase = on_phase
        self.outcome = Outcome()
        self.units = {}
        for index, name in self.mapping.items():
            header = self.headers[index] if index < len(self.headers) else ""
            self.units[index] = UNITS.get(normalise_header(header)[1], 1)

    # -- errors -----------------------------------------------------------------------------------
    def _column_title(self, name: str) -> str:
        for index, mapped in self.mapping.items():
            if mapped == name:
                return self.headers[index] if index < len(self.headers) else name
        return ""

    def error(self, row: int, name: str, message: str, value: str = "") -> None:
        column = self.spec.columns.get(name)
        title, label = (self._column_title(name), column.label) if column else ("", "")
        self._record(RowError(row, title, label, value[:100], message))

    def _record(self, error: RowError) -> None:
        self.outcome.error_count += 1
        if len(self.outcome.errors) < MAX_ERRORS:
            self.outcome.errors.append(error)

    # -- reading ----------------------------------------------------------------------------------
    def _data_rows(self) -> list[_Row]:
        out = []
        for offset, raw in enumerate(self.rows[self.header_row + 1 :]):
            number = self.header_row + 2 + offset  # as the spreadsheet numbers it
            cells = {}
            for index, name in self.mapping.items():
                cells[name] = raw[index].strip() if index < len(raw) and raw[index] else ""
            if not any(cells.values()):
                continue
            first = next((c for c in raw if c), "")
            if _HEADER_SPACE.sub("", first).lower() in TOTAL_MARKERS:
                continue
            out.append(_Row(number, cells))
        return out

    def _convert(self, row: _Row, name: str, text: str, index: int | None):
        """The raw text as the form expects it, or None to leave the field out (blank on update)."""
        column = self.spec.columns[name]
        if column.many:
            return [v for v in LIST_SPLIT.split(text) if v]
        if column.boolean:
            word = text.strip().lower()
            if word in TRUE_WORDS:
                return "true"
            if word in FALSE_WORDS or word == "":
                return "false"
            raise ValidationError(_("Enter 是 or 否 (yes or no)."))
        if column.choices and text:
            return column.choices.get(text.strip().lower(), text)
        if column.numeric:
            if text in NUMBER_BLANKS:
                return ""
            text = text.replace(",", "").replace("，", "")
            factor = self.units.get(index, 1) if index is not None else 1
            if column.money and factor != 1 and text:
                try:
                    return str((Decimal(text) * factor).quantize(Decimal("0.01")))
                except InvalidOperation:
                    return text
        return text

    # -- checking ---------------------------------------------------------------------------------
    def check(self) -> list[_Row]:
        if not self.mapping:
            raise ImportError_(_("Map at least one column to a field."))
        rows = self._data_rows()
        self.outcome.total = len(rows)
        existing = self._existing(rows)
        # Every relation field of the form resolves from memory, mapped or not (an unmapped one holds
        # nothing on a new record and the current values on an update).
        lookups = {}
        for name, column in self.spec.columns.items():
            if column.related is not None and hasattr(column.form_field, "queryset"):
                values: set[str] = set()
                for row in rows:
                    text = row.cells.get(name, "")
                    if column.many:
                        values.update(v for v in LIST_SPLIT.split(text) if v)
                    elif text:
                        values.add(text)
                lookups[name] = _Lookup(column, values)
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
                        _("Row %(other)s already updates this record.") % {"other": seen_targets[target.pk]},
                    )
                    continue
                seen_targets[target.pk] = row.number
            todo.append((row, target))
        self._validate_rows(todo, context, len(rows))
        if self.progress:
            self.progress(len(rows), len(rows))
        good = [r for r in rows if r.instance is not None]
        self._check_unique(good)
        self.outcome.errors.sort(key=lambda e: e.row)  # by row, whichever step found them
        for row in good:
            if row.action == "update":
                self.outcome.versions[str(row.instance.pk)] = row.instance.version
        self.outcome.created = sum(1 for r in good if r.action == "create")
        self.outcome.updated = sum(1 for r in good if r.action == "update")
        self.outcome.unchanged = sum(1 for r in good if r.action == "unchanged")
        return good

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
        _parallel_check(self, todo, context, processes, total)

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
                self.error(row.number, name, " ".join(exc.messages), text)
                failed = True
        if failed:
            return
        instance = target if target is not None else context.new()
        form = context.validator.validate(data, instance)
        if form.errors:
            for name, messages in form.errors.items():
                text = row.cells.get(name, "")
                for message in messages:
                    self.error(row.number, name if name != "__all__" else "", message, text)
            return
        row.instance = form.instance
        for name, column in self.spec.columns.items():
            if column.many and name in form.cleaned_data:
                row.related[name] = list(form.cleaned_data[name] or [])
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
        return {"row": row.number, "action": row.action, "cells": cells}

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
                        _("Row %(other)s has the same value.") % {"other": seen[values]},
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

    # -- writing ----------------------------------------------------------------------------------
    def run(self, *, commit: bool, versions: dict[str, int] | None = None) -> Outcome:
        """Check every row, then write them all in one transaction, or nothing.

        ``commit=False`` is the dry run behind the preview: rows are written and checked against scope
        and the database's constraints, then rolled back. ``versions`` are those the preview saw: a
        record changed since stops the import.
        """
        # The rows and their instances live until the import ends, and the check makes a million such
        # objects at 100,000 rows: each full garbage collection would walk all of them again (a quarter
        # of the check's time). They are frozen as they are made (gc.freeze) and thawed here at the end.
        try:
            rows = self.check()
            if not self.outcome.ok:
                return self.outcome
            if self.on_phase:
                self.on_phase("writing")
            try:
                with transaction.atomic():
                    written = self._write(rows, commit=commit, versions=versions)
                    if not self.outcome.ok or not commit:
                        raise _Rollback
                    searchdebts.owe(self.model)  # with the rows: repaired if the keys below never come
            except _Rollback:
                return self.outcome
            except IntegrityError as exc:
                self.error(0, "", _("The database refused the rows: %(error)s") % {"error": exc})
                return self.outcome
        finally:
            gc.unfreeze()
        if self.on_phase:
            self.on_phase("indexing")
        self._index(*written)
        return self.outcome

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
        entries = []
        for r in creates:
            related = {k: [o.pk for o in v] for k, v in r.related.items()}
            entries.append(
                audit.values(
                    AuditAction.CREATE,
                    r.instance,
                    after=audit.snapshot(r.instance, _all_related(self.model, related)),
                )
            )
        for r in updates:
            related = {k: [o.pk for o in v] for k, v in r.related.items()}
            after = audit.snapshot(r.instance, {**_current_related(r.before, self.model), **related})
            entries.append(audit.values(AuditAction.UPDATE, r.instance, before=r.before, after=after))
        entries += through_rows
        audit.record_many(entries)  # hash-chained in the same pass (chainboard/auditchain.py)
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

    def _write_related(self, rows: list[_Row]) -> list:
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
                for t in sorted(wanted - have):
                    obj = build(**{source_att: r.instance.pk, target_att: t})
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
                        for obj in gone:
                            entries.append(
                                audit.values(
                                    AuditAction.DELETE, obj, before=audit.snapshot(obj), parent=owners[s]
                                )
                            )
                    gone.delete()
            if add:
                bulkwrite.insert_new(through, add)
                if audited:
                    entries += [
                        audit.values(
                            AuditAction.CREATE,
                            obj,
                            after=audit.snapshot(obj),
                            parent=owners[getattr(obj, source_att)],
                        )
                        for obj in add
                    ]
        return entries

    def _index(self, creates: list[_Row], updates: list[_Row]) -> None:
        """Search keys of the written rows, after the commit, in batches of their own transactions.

        Computing and inserting the keys costs more than the rows themselves (about 60 keys per
        enterprise), so it does not hold the import's transaction open: a 100,000-row import commits
        its rows and audit first and is searchable moments later. Were the process to die in between,
        the search debt recorded with the rows makes the task worker rebuild them (chainboard/searchdebts.py).
        """
        fields = search.search_fields(self.model)
        if not fields:
            return
        todo = [(r.instance, True) for r in creates]
        todo += [(r.instance, False) for r in updates if set(r.changed) & set(fields)]
        for start in range(0, len(todo), BATCH * 2):
            batch = todo[start : start + BATCH * 2]
            with transaction.atomic():
                search.index_many(self.model, [o for o, fresh in batch if fresh], fresh=True)
                search.index_many(self.model, [o for o, fresh in batch if not fresh], fresh=False)
            if self.progress:
                self.progress(min(start + BATCH * 2, len(todo)), len(todo))
        searchdebts.paid(self.model)


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
        for (start, end), result in zip(shares, results, strict=True):
            if result is None:
                fallen_back.append((start, end))
                continue
            states, errors, error_count, preview = pickle.loads(result)  # noqa: S301 - our own workers'
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


class _Params(dict):
    def __missing__(self, key):
        return ""


def _all_related(model, known: dict[str, list]) -> dict[str, list]:
    """A new record's many-to-many ids: what the file gave, empty for the rest (nothing to query)."""
    return {f.name: known.get(f.name, []) for f in model._meta.many_to_many}


def _current_related(before: dict | None, model) -> dict[str, list]:
    before = before or {}
    return {f.name: before.get(f.name, []) for f in model._meta.many_to_many}


# -- jobs: the web flow's background work ---------------------------------------------------------


def start_job(job, *, commit: bool) -> None:
    """Queue the check (a dry run) or the import of ``job`` on the task worker."""
    from chainboard.models import ImportStatus
    from chainboard.tasks import check_import, commit_import

    job.status = ImportStatus.WRITING if commit else ImportStatus.CHECKING
    job.processed_rows = 0
    job.message = ""
    job.save(update_fields=["status", "processed_rows", "message", "updated_at"])
    result = (commit_import if commit else check_import).enqueue(job.pk)
    type(job).objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])


def settle_stalled(job) -> None:
    """A job that has shown no progress for ``IMPORT_STALL_SECONDS`` lost its worker (killed, machine
    restarted). A check or an import that died wrote nothing (its transaction never committed); a job
    that died while indexing has its rows, and ``chainboard rebuild-search`` restores their keys."""
    from django.conf import settings

    from chainboard.models import ImportStatus

    if not job.running or job.updated_at > timezone.now() - dt.timedelta(
        seconds=settings.IMPORT_STALL_SECONDS
    ):
        return
    if job.status == ImportStatus.INDEXING:
        job.status = ImportStatus.DONE
        job.message = _(
            "The rows were imported, but making them searchable stopped; "
            "an administrator runs “chainboard rebuild-search”."
        )
    else:
        job.status = ImportStatus.FAILED
        job.message = _(
            "The import stopped without finishing (the task worker was interrupted); nothing was written."
        )
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "message", "finished_at", "updated_at"])


def settle_lost(job, *, also=None) -> None:
    """The job's task worker died (``chainboard.workers`` saw its process gone): settle the job now
    rather than after the stall window.

    The import writes its rows, their audit rows included, in one transaction; so the job's operation
    has audit rows exactly when that transaction committed. If it did not, nothing was written and the
    job failed. If it did, the rows are there and only their search keys may be missing or stale (the
    worker died while indexing, or between the commit and the next status): they are rebuilt for the
    records the operation created or changed, and the job is done.

    ``also`` (failing the dead worker's task) runs in the transaction that settles the job, so nobody
    sees the job finished while its task still says it is running.
    """
    from chainboard.models import AuditEntry, ImportJob, ImportStatus

    job = ImportJob.objects.select_related("content_type").get(pk=job.pk)
    if not job.running:
        return
    written = bool(job.operation_id) and AuditEntry.objects.filter(operation_id=job.operation_id).exists()
    fields = {"finished_at": timezone.now(), "updated_at": timezone.now()}
    with translation.override(job.language):
        if not written:
            fields.update(
                status=ImportStatus.FAILED,
                message=_(
                    "The import stopped without finishing (the task worker was interrupted); nothing was written."
                ),
            )
        else:
            model = job.content_type.model_class()
            entries = AuditEntry.objects.filter(operation_id=job.operation_id, content_type=job.content_type)
            created = entries.filter(action=AuditAction.CREATE).count()
            updated = entries.filter(action=AuditAction.UPDATE).count()
            reindex_operation(model, job.operation_id)
            fields.update(
                status=ImportStatus.DONE,
                created_count=created,
                updated_count=updated,
                message=_(
                    "The task worker stopped after the rows were written; they were made searchable "
                    "when it started again."
                ),
            )
    with transaction.atomic():
        ImportJob.objects.filter(pk=job.pk).update(**fields)
        if also is not None:
            also()


def reindex_operation(model: type[models.Model], operation_id) -> int:
    """Rebuild the search keys of the ``model`` records an operation created or changed, in batches of
    their own transactions (``chainboard rebuild-search`` for those rows only). Returns their number."""
    from chainboard.models import AuditEntry

    if not search.search_fields(model):
        return 0
    ct = ContentType.objects.get_for_model(model)
    ids = sorted(
        {
            model._meta.pk.to_python(pk)
            for pk in AuditEntry.objects.filter(
                operation_id=operation_id,
                content_type=ct,
                action__in=[AuditAction.CREATE, AuditAction.UPDATE],
            ).values_list("object_id", flat=True)
        }
    )
    for start in range(0, len(ids), BATCH * 2):
        chunk = list(model._base_manager.filter(pk__in=ids[start : start + BATCH * 2]))
        with transaction.atomic():
            search.index_many(model, chunk, fresh=False)
    return len(ids)


def run_job(job_id: int, *, commit: bool) -> None:
    """Check or import one uploaded file (the task body). Progress is written as it goes."""
    import logging

    from chainboard import tabular
    from chainboard.models import ImportJob, ImportStatus
    from chainboard.views.generic import viewset_for

    job = ImportJob.objects.select_related("user", "content_type").get(pk=job_id)
    jobs = ImportJob.objects.filter(pk=job.pk)

    def progress(done: int, total: int) -> None:
        jobs.update(processed_rows=done, total_rows=total, updated_at=timezone.now())

    def on_phase(phase: str) -> None:
        status = {"writing": ImportStatus.WRITING, "indexing": ImportStatus.INDEXING}[phase]
        if commit:
            jobs.update(status=status, processed_rows=0, updated_at=timezone.now())

    label = f"import:{job.file_name}"[:150]
    try:
        viewset = viewset_for(job.content_type.model_class())
        with translation.override(job.language):
            rows = tabular.read(job.file.path, job.file_name)
            with audit.operation(user=job.user, source=audit.Source.IMPORT, label=label) as op:
                if commit:
                    # Known before the write: if the worker dies, its audit rows tell whether the
                    # transaction committed (settle_lost).
                    jobs.update(operation_id=op.id)
                importer = Importer(
                    viewset,
                    job.user,
                    rows,
                    job.header_row,
                    job.mapping,
                    headers=job.headers,
                    progress=progress,
                    on_phase=on_phase,
                )
                outcome = importer.run(commit=commit, versions=job.versions if commit else None)
    except (tabular.FileProblem, ImportError_, PermissionDenied) as exc:
        jobs.update(status=ImportStatus.FAILED, message=str(exc), finished_at=timezone.now())
        return
    except Exception:
        logging.getLogger(__name__).exception("import %s failed", job.pk)
        jobs.update(
            status=ImportStatus.FAILED,
            message=_("The import stopped on an unexpected error; nothing was written."),
            finished_at=timezone.now(),
        )
        raise
    fields = {
        "total_rows": outcome.total,
        "processed_rows": outcome.total,
        "created_count": outcome.created,
        "updated_count": outcome.updated,
        "unchanged_count": outcome.unchanged,
        "error_count": outcome.error_count,
        "errors": [e.as_dict() for e in outcome.errors],
        "updated_at": timezone.now(),
    }
    if not outcome.ok:
        fields["status"] = ImportStatus.FAILED if commit else ImportStatus.INVALID
        if commit:
            fields["message"] = _("Nothing was written: the file no longer passes the check.")
    elif commit:
        fields.update(status=ImportStatus.DONE, finished_at=timezone.now(), operation_id=op.id)
    else:
        fields.update(status=ImportStatus.READY, preview=outcome.preview, versions=outcome.versions)
    jobs.update(**fields)

"""Which field each column of the file fills: the entity's columns, their names and aliases."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django import forms
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from chainboard.imports.headers import _HEADER_SPACE, _UNIT, IGNORED_HEADERS, normalise_header

# Headers any entity's field of that name is known by, beside its labels and the model's own
# ``import_aliases``: the ways county and city offices title their columns.
COMMON_ALIASES: dict[str, tuple[str, ...]] = {
    "region": (
        "所在县（市、区）",
        "所属县（市、区）",
        "县（市、区）",
        "县（区）",
        "县（市）",
        "所在县区",
        "所属县区",
        "县区",
        "区县",
        "所在区县",
        "县市区",
        "所在县市区",
        "所属区域",
        "所在区域",
        "所属地区",
        "所在地区",
        "地区",
        "区域",
        "行政区划",
        "行政区划代码",
        "区划代码",
        "所在地",
    ),
    "phone": ("电话", "联系电话", "手机", "手机号", "手机号码", "联系方式", "电话号码"),
}
# Punctuation and brackets left out when a header matches loosely: 所在县(市,区) is 所在县（市、区）.
_LOOSE = re.compile(r"[\s\u3000()（）\[\]【】、,，/／·.。:：;；\-—_]+")


def loose_key(text: str) -> str:
    key, _unit = normalise_header(text)
    return _LOOSE.sub("", key)


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
    kind: str = ""  # "code" or "phone": normalised (NFKC, spaces) before the form sees it


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
                kind=_kind(self.model, name, name in getattr(self.model, "import_keys", ())),
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
        self._by_loose: dict[str, str] = {}
        for column in self.columns.values():
            candidates = [column.name, column.label]
            model_field = model_fields.get(column.name)
            if model_field is not None:
                candidates += _labels(model_field.verbose_name)
            if column.name == "id":
                candidates += ["id", "ID", "编号"]
            candidates += list(getattr(self.model, "import_aliases", {}).get(column.name, ()))
            candidates += list(COMMON_ALIASES.get(column.name, ()))
            for text in candidates:
                key, _unit = normalise_header(text)
                self._by_header.setdefault(key, column.name)
                if loose_key(text):
                    self._by_loose.setdefault(loose_key(text), column.name)

    def match(self, header: str) -> str | None:
        key, _unit = normalise_header(header)
        return self._by_header.get(key) or self._by_loose.get(loose_key(header) or "\0")

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


def _kind(model, name: str, key: bool) -> str:
    """How a text column's values are normalised: the model says (``import_value_kinds``), else a
    phone field by its name, else a key (the USCC) as a code."""
    declared = getattr(model, "import_value_kinds", {})
    if name in declared:
        return declared[name]
    if name == "phone" or name.endswith("_phone"):
        return "phone"
    field = model._meta.get_field(name) if name != "id" else None
    if isinstance(field, models.DateField):
        return "date"
    return "code" if key and name != "id" else ""


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

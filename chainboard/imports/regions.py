"""Region columns: county and town names as offices write them, resolved within the city first.

A county office writes its county as 泽州, 泽州县, 晋城市泽州县, 山西省晋城市泽州县, 山西晋城泽州 or
140525; the city's own 城区 is written 城区 although eight divisions in China have that name. A value
resolves, in this order:

1. a division code (6 digits, or 9 for a town), full-width digits allowed;
2. within the city this deployment runs (``CityConfig``, written by ``chainboard setup``): its own
   divisions by full name, by name without its suffix 市/县/区/旗 (城区 keeps its suffix: 城 is not a
   name), prefixed by any of its parents (province, city, county) in full or short form;
3. elsewhere in China: the same forms, prefixed by a province and/or city name or not; a name that
   several divisions carry is ambiguous and the error names them with their codes.

A file's distinct values are resolved with a bounded number of queries, whatever the number of rows:
the city's subtree (one query), the provinces and cities (one), the codes (one per 500) and the names
looked for outside the city (one per 500).
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from chainboard.imports.lookups import _Lookup
from chainboard.imports.mapping import Column
from chainboard.imports.outcome import CHUNK
from chainboard.imports.values import normalise_code

# 市/县/区/旗 as the issue names them; 城区 and 郊区 keep theirs (a one-character stem is no name).
SUFFIXES = ("自治县", "自治旗", "林区", "特区", "市", "县", "区", "旗")
# Province names: 山西省 -> 山西, 内蒙古自治区 -> 内蒙古, 广西壮族自治区 -> 广西.
_PROVINCE_SUFFIX = re.compile(r"(省|市|特别行政区|(?:壮族|回族|维吾尔)?自治区)$")
_SEPARATORS = re.compile(r"[\s\u3000/／\\·・,，、\-—_>＞]+")
MAX_CANDIDATES = 5
NAME_CHUNK = 2_000  # names per query outside the city (SQLite takes 32,766 parameters)
_ENDS_AS_A_NAME = ("市", "县", "区", "旗", "镇", "乡", "街道", "盟", "州", "省")


def short_forms(name: str, level: int | None = None) -> set[str]:
    """The name and its forms without a suffix (高平市 -> 高平; 城区 has none)."""
    forms = {name}
    if level == 1:
        stem = _PROVINCE_SUFFIX.sub("", name)
        if len(stem) >= 2:
            forms.add(stem)
        return forms
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            forms.add(name[: -len(suffix)])
            break
    return forms


def clean(value: str) -> str:
    """The value with full-width forms, spaces and separators (山西省 晋城市 / 泽州县) taken out."""
    return _SEPARATORS.sub("", normalise_code(value))


def city_region_path() -> str:
    """The significant code prefix of the city this deployment runs ("1405"), "" before set-up."""
    from chainboard.models.config import city_path

    return city_path()


class RegionLookup(_Lookup):
    """Resolve a file's region values (codes and names in every usual form) with a few queries."""

    def __init__(self, column: Column, values: set[str], city_path: str | None = None):
        self.column = column
        self.queryset = column.form_field.queryset
        self.by_value: dict[str, list[models.Model]] = {}
        self.extra: dict[str, models.Model] = {}
        self.fields = ["code", "name"]
        self.wanted = {v for v in values if v}
        self.city_path = city_region_path() if city_path is None else city_path
        todo = {v: clean(v) for v in values if v and clean(v)}
        todo = self._codes(todo)
        if todo and self.city_path:
            todo = self._in_city(todo)
        if todo:
            self._elsewhere(todo)

    # -- the steps ----------------------------------------------------------------------------------
    def _codes(self, todo: dict[str, str]) -> dict[str, str]:
        codes = {v: c for v, c in todo.items() if c.isdigit() and len(c) in (6, 9, 12)}
        found: dict[str, models.Model] = {}
        keys = sorted(set(codes.values()))
        for start in range(0, len(keys), CHUNK):
            found.update((r.pk, r) for r in self.queryset.filter(pk__in=keys[start : start + CHUNK]))
        for value, code in codes.items():
            if code in found:
                self.by_value[value] = [found[code]]
        # A number that is no code is not a name either.
        return {v: c for v, c in todo.items() if v not in codes}

    def _in_city(self, todo: dict[str, str]) -> dict[str, str]:
        province_code = self.city_path[:2].ljust(6, "0")
        regions = list(
            self.queryset.filter(models.Q(path__startswith=self.city_path) | models.Q(pk=province_code)).only(
                "code", "name", "level", "parent_id", "path", "full_name"
            )
        )
        by_code = {r.pk: r for r in regions}
        index: dict[str, list[models.Model]] = defaultdict(list)
        for region in regions:
            for form in self._forms(region, by_code):
                if region not in index[form]:
                    index[form].append(region)
        rest = {}
        for value, text in todo.items():
            if text in index:
                self.by_value[value] = index[text]
            else:
                rest[value] = text
        return rest

    def _forms(self, region, by_code: dict) -> set[str]:
        """Every way of writing ``region``: its forms, each prefixed by any of its parents' forms."""
        parents = []
        parent = by_code.get(region.parent_id)
        while parent is not None:
            parents.insert(0, parent)
            parent = by_code.get(parent.parent_id)
        own = short_forms(region.name, region.level)
        out = set(own)
        for size in range(1, len(parents) + 1):
            for chosen in itertools.combinations(parents, size):
                for prefix in itertools.product(*(short_forms(p.name, p.level) for p in chosen)):
                    head = "".join(prefix)
                    out.update(head + form for form in own)
        return out

    def _elsewhere(self, todo: dict[str, str]) -> None:
        """Outside the city: strip a province and/or city prefix, then look the rest up by name."""
        upper = list(self.queryset.filter(level__lte=2).only("code", "name", "level", "parent_id", "path"))
        by_code = {r.pk: r for r in upper}
        prefixes: dict[str, list[models.Model]] = defaultdict(list)  # a written prefix -> its region
        for region in upper:
            for form in self._forms(region, by_code):
                prefixes[form].append(region)
        # value -> [(the region its prefix names or None, the rest)]
        parses: dict[str, list[tuple[models.Model | None, str]]] = {}
        names: set[str] = set()
        for value, text in todo.items():
            options: list[tuple[models.Model | None, str]] = [(None, text)]
            for end in range(2, len(text) - 1):
                for region in prefixes.get(text[:end], ()):
                    options.append((region, text[end:]))
            parses[value] = options
            for _region, rest in options:
                names.update(_names_for(rest))
        found: dict[str, list[models.Model]] = defaultdict(list)
        wanted = sorted(names)
        for start in range(0, len(wanted), NAME_CHUNK):
            for region in self.queryset.filter(name__in=wanted[start : start + NAME_CHUNK]).only(
                "code", "name", "level", "parent_id", "path", "full_name"
            ):
                found[region.name].append(region)
        for value, options in parses.items():
            matches: dict[str, models.Model] = {}
            for parent, rest in options:
                for name in _names_for(rest):
                    for region in found.get(name, ()):
                        if parent is None or (region.path.startswith(parent.path) and region.pk != parent.pk):
                            matches[region.pk] = region
            if matches:
                self.by_value[value] = sorted(matches.values(), key=lambda r: r.pk)

    # -- answers ------------------------------------------------------------------------------------
    def resolve(self, value: str) -> models.Model:
        found = self.by_value.get(value) or ([self.extra[value]] if value in self.extra else [])
        if len(found) == 1:
            return found[0]
        if not found:
            if clean(value).isdigit():
                return super().resolve(value)  # the form's own message for an unknown code
            raise ValidationError(
                _(
                    "No region is called %(value)s; write the county's name (市, 县 or 区 may be left "
                    "out, the city may come before it) or its code."
                )
                % {"value": value}
            )
        shown = "、".join(f"{r.pk} {r.full_name or r.name}" for r in found[:MAX_CANDIDATES])
        raise ValidationError(
            _("%(count)s regions are called %(value)s: %(candidates)s; give the code instead.")
            % {
                "count": len(found),
                "value": value,
                "candidates": shown + ("…" if len(found) > MAX_CANDIDATES else ""),
            }
        )


def _names_for(rest: str) -> set[str]:
    """The division names a written rest may stand for: itself, or itself with a suffix put back."""
    if len(rest) < 2:
        return set()
    if rest.endswith(_ENDS_AS_A_NAME):
        return {rest}
    return {rest, rest + "市", rest + "县", rest + "区", rest + "旗"}

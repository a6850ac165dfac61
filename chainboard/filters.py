"""Filter set base shared by list pages and the API: scoped choices and a ``q`` text search."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chainboard.forms import StyledFormMixin


class ScopedFilterSet(django_filters.FilterSet):
    """Choices in relation filters are limited to what the user may see; ``q`` searches ``search_fields``."""

    search_fields: tuple[str, ...] = ()
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        user = getattr(request, "user", None)
        for f in self.filters.values():
            qs = f.extra.get("queryset")
            if qs is not None and hasattr(qs, "restrict"):
                f.extra["queryset"] = qs.restrict(user, "view")
        if not self.search_fields:
            self.filters.pop("q", None)

    @property
    def form(self):
        form = super().form
        if not getattr(form, "_styled", False):
            StyledFormMixin.style_fields(form)
            form._styled = True
        return form

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)

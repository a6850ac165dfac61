from django.db.models import Case, IntegerField, Value, When
from django.utils.translation import gettext_lazy as _

from chainboard.filters import ScopedFilterSet
from chainboard.lookups import lookup_view
from chainboard.tables import Column, Table
from chainboard.views.generic import ViewSet

from .models import Region


class RegionFilterSet(ScopedFilterSet):
    search_fields = ("name", "code")

    class Meta:
        model = Region
        fields = ["level"]


class RegionViewSet(ViewSet):
    model = Region
    url_prefix = "regions"
    filterset_class = RegionFilterSet
    facets = (("level", "level"),)
    table = Table(
        columns=[
            Column("code", order_by="code", link=True),
            Column("name", order_by="name", link=True),
            Column("level", order_by="level"),
            Column("full_name"),
        ],
        default_order=("code",),
    )
    detail_related = [
        (
            _("Subdivisions"),
            "children",
            Table(columns=[Column("code", link=True), Column("name")], default_order=("code",)),
        ),
    ]


def _ranked_regions(user):
    from chainboard.models.config import city_path

    path = city_path()
    qs = Region.objects.restrict(user, "view")
    if path:
        # The configured city's own divisions first, then the rest of the country.
        return qs.annotate(
            local=Case(
                When(path__startswith=path, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        ).order_by("local", "level", "code")
    return qs.order_by("level", "code")


region_lookup = lookup_view(
    _ranked_regions,
    fields=("name",),
    prefix_fields=("code",),
    text=lambda r: f"{r.full_name or r.name} ({r.code})",
)

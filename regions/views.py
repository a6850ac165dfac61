from django.db.models import Case, IntegerField, Value, When
from django.utils.translation import gettext_lazy as _

from chainboard.filters import ScopedFilterSet
from chainboard.lookups import lookup_view
from chainboard.tables import Column, Table
from chainboard.views.generic import REFERENCE_RANK, ViewSet

from .models import Region


class RegionFilterSet(ScopedFilterSet):
    search_fields = ("name", "code")
    search_when = {"code": str.isdigit}  # a division code holds digits only

    class Meta:
        model = Region
        fields = ["level"]


class RegionViewSet(ViewSet):
    model = Region
    url_prefix = "regions"
    menu_group = "reference"
    menu_order = 10
    icon = "map-pin"
    filterset_class = RegionFilterSet
    facets = (("level", "level"),)
    # Reference data: found after the user's working records, the city's own regions first, each with
    # its province and city ("山西省 晋城市 高平市").
    search_rank = REFERENCE_RANK
    search_columns = ("full_name",)
    table = Table(
        columns=[
            Column("code", order_by="code", link=True),
            Column("name", order_by="name", link=True),
            Column("level", order_by="level"),
            Column("full_name"),
        ],
        default_order=("code",),
    )

    @classmethod
    def search_order(cls, queryset):
        return city_first(queryset)

    detail_related = [
        (
            _("Subdivisions"),
            "children",
            Table(columns=[Column("code", link=True), Column("name")], default_order=("code",)),
        ),
    ]


def city_first(qs):
    """The configured city's own divisions first, then the rest of the country (pickers, search)."""
    from chainboard.models.config import city_path

    path = city_path()
    if path:
        return qs.annotate(
            local=Case(
                When(path__startswith=path, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        ).order_by("local", "level", "code")
    return qs.order_by("level", "code")


def _ranked_regions(user):
    return city_first(Region.objects.restrict(user, "view"))


region_lookup = lookup_view(
    _ranked_regions,
    fields=("name",),
    prefix_fields=("code",),
    text=lambda r: f"{r.full_name or r.name} ({r.code})",
)

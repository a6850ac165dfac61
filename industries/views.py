from django.utils.translation import gettext_lazy as _

from chainboard.filters import ScopedFilterSet
from chainboard.lookups import lookup_view
from chainboard.tables import Column, Table
from chainboard.views.generic import REFERENCE_RANK, ViewSet

from .models import IndustryClass


class IndustryClassFilterSet(ScopedFilterSet):
    search_fields = ("name", "code")

    class Meta:
        model = IndustryClass
        fields = ["level"]


class IndustryClassViewSet(ViewSet):
    model = IndustryClass
    url_prefix = "industry_classes"
    menu_group = "reference"
    menu_label = _("Industry classes")
    menu_order = 20
    icon = "building-factory"
    filterset_class = IndustryClassFilterSet
    facets = (("level", "level"),)
    # Reference data, after the regions; a hit reads "C1741 缫丝加工" with its parent class beside it.
    search_rank = REFERENCE_RANK + 10
    search_columns = ("parent",)
    table = Table(
        columns=[
            Column("code", order_by="code", link=True),
            Column("name", order_by="name", link=True),
            Column("level", order_by="level"),
            Column("parent"),
        ],
        select_related=("parent",),
        default_order=("code",),
    )
    detail_related = [
        (
            _("Subclasses"),
            "children",
            Table(columns=[Column("code", link=True), Column("name")], default_order=("code",)),
        ),
    ]


industry_lookup = lookup_view(
    lambda user: IndustryClass.objects.restrict(user, "view"),
    fields=("name",),
    prefix_fields=("code",),
    order=("-level", "code"),
)

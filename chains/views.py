from django.utils.translation import gettext_lazy as _

from chainboard import scope
from chainboard.filters import ScopedFilterSet
from chainboard.forms import LookupChoiceField, ScopedModelForm
from chainboard.tables import Column, Table
from chainboard.views.generic import DetailView, ViewSet
from regions.models import Region

from .models import Chain, ChainAttribute, ChainStatistic, Position, Segment, SegmentLink
from .statistics import statistics_rows


class ChainForm(ScopedModelForm):
    region = LookupChoiceField(
        Region.objects.all(), "regions:region_lookup", required=False, label=_("region")
    )

    class Meta:
        model = Chain
        fields = ["name", "level", "region", "yearly_landing_target", "description", "source"]


class ChainFilterSet(ScopedFilterSet):
    search_fields = ("name",)

    class Meta:
        model = Chain
        fields = ["level"]


class ChainDetailView(DetailView):
    def extra_context(self, obj) -> dict:
        user = self.request.user
        segments = list(Segment.objects.restrict(user).filter(chain=obj).order_by("order", "name"))
        links = list(
            SegmentLink.objects.restrict(user)
            .filter(upstream__chain=obj)
            .values_list("upstream_id", "downstream_id", "is_sample")
        )
        graph = {
            "nodes": [
                {
                    "id": str(s.pk),
                    "name": s.name,
                    "weak": s.is_weak,
                    "stream": s.stream,
                    "sample": s.is_sample,
                }
                for s in segments
            ],
            "links": [{"source": str(u), "target": str(d), "sample": sample} for u, d, sample in links],
        }
        return {
            "graph": graph,  # handed to the page's script with json_script (no inline script under the CSP)
            # The legend describes what is drawn: red only if a weak segment is drawn, dashes only if a
            # sample link or segment is (docs/formatting.md).
            "graph_has_weak": any(s.is_weak for s in segments),
            "graph_has_sample": any(s.is_sample for s in segments) or any(link[2] for link in links),
            "segments": segments,
            "positions": Position.objects.restrict(user)
            .filter(chain=obj)
            .select_related("user", "organisation"),
            "attributes": ChainAttribute.objects.restrict(user).filter(chain=obj).order_by("kind", "order"),
            "statistics": statistics_rows(user, obj),
            "can_view_positions": scope.has_permission(user, "view", Position),
        }


class ChainViewSet(ViewSet):
    model = Chain
    url_prefix = "chains"
    menu_group = "chains"
    menu_order = 10
    icon = "link"
    form_class = ChainForm
    filterset_class = ChainFilterSet
    facets = (("level", "level"),)
    search_rank = 20  # after enterprises, before everything else (docs/search.md)
    search_columns = ("level", "region")
    detail_template = "chains/chain_detail.html"
    detail_view = ChainDetailView
    instructions = True  # leaders instruct (批示) on it (docs/instructions.md)
    table = Table(
        columns=[
            Column("name", order_by="name", link=True),
            Column("level", order_by="level"),
            Column("region"),
            Column("yearly_landing_target"),
        ],
        select_related=("region",),
        default_order=("level", "name"),
    )
    detail_related = []


class SegmentForm(ScopedModelForm):
    class Meta:
        model = Segment
        fields = ["chain", "name", "stream", "is_weak", "order", "description", "source"]


class SegmentFilterSet(ScopedFilterSet):
    search_fields = ("name",)

    class Meta:
        model = Segment
        fields = ["chain", "stream", "is_weak", "is_sample"]


class SegmentViewSet(ViewSet):
    model = Segment
    url_prefix = "segments"
    menu_group = "chains"
    menu_order = 20
    icon = "git-branch"
    form_class = SegmentForm
    filterset_class = SegmentFilterSet
    facets = (("chain", "chain"), ("stream", "stream"))
    search_rank = 30
    search_columns = ("chain.name", "stream", "is_weak")
    table = Table(
        columns=[
            Column("name", order_by="name", link=True),
            Column("chain.name", label=_("chain"), order_by="chain__name"),
            Column("stream", order_by="stream"),
            Column("is_weak", order_by="is_weak"),
            Column("order", order_by="order"),
        ],
        select_related=("chain",),
        default_order=("chain__name", "order", "name"),
    )
    detail_related = [
        (
            _("Downstream"),
            "downstream_links",
            Table(
                columns=[Column("downstream.name", label=_("downstream segment"), link=True)],
                select_related=("downstream",),
                default_order=("downstream__order",),
            ),
        ),
        (
            _("Upstream"),
            "upstream_links",
            Table(
                columns=[Column("upstream.name", label=_("upstream segment"), link=True)],
                select_related=("upstream",),
                default_order=("upstream__order",),
            ),
        ),
    ]


class SegmentLinkForm(ScopedModelForm):
    class Meta:
        model = SegmentLink
        fields = ["upstream", "downstream", "source"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("upstream", "downstream"):
            self.fields[name].queryset = self.fields[name].queryset.select_related("chain")


class SegmentLinkFilterSet(ScopedFilterSet):
    search_fields = ("upstream__name", "downstream__name")
    in_global_search = False

    class Meta:
        model = SegmentLink
        fields = {"upstream__chain": ["exact"]}


class SegmentLinkViewSet(ViewSet):
    model = SegmentLink
    url_prefix = "segment_links"
    menu_group = "chains"
    menu_order = 25
    icon = "arrow-right"
    form_class = SegmentLinkForm
    filterset_class = SegmentLinkFilterSet
    facets = (("upstream__chain", "upstream__chain"),)
    table = Table(
        columns=[
            Column("upstream.name", label=_("upstream segment"), link=True, order_by="upstream__name"),
            Column("downstream.name", label=_("downstream segment"), order_by="downstream__name"),
            Column("upstream.chain.name", label=_("chain")),
        ],
        select_related=("upstream__chain", "downstream"),
        default_order=("upstream__chain__name", "upstream__order"),
    )


class PositionForm(ScopedModelForm):
    class Meta:
        model = Position
        fields = ["chain", "kind", "title", "organisation", "user", "duties", "source"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Positions are changed by the administrator only (they grant roles), who sees no business data
        # but must be able to name the chain; the scope re-check after the save still applies.
        self.fields["chain"].queryset = Chain.objects.all()


class PositionFilterSet(ScopedFilterSet):
    search_fields = ("title", "duties")

    class Meta:
        model = Position
        fields = ["chain", "kind"]


class PositionViewSet(ViewSet):
    model = Position
    url_prefix = "positions"
    menu_group = "chains"
    menu_order = 30
    icon = "id-badge"
    form_class = PositionForm
    filterset_class = PositionFilterSet
    facets = (("chain", "chain"), ("kind", "kind"))
    table = Table(
        columns=[
            Column("kind", order_by="kind", link=True),
            Column("title", order_by="title"),
            Column("chain.name", label=_("chain"), order_by="chain__name"),
            Column("organisation"),
            Column("user"),
        ],
        select_related=("chain", "organisation", "user"),
        default_order=("chain__name", "kind"),
    )


class ChainAttributeForm(ScopedModelForm):
    class Meta:
        model = ChainAttribute
        fields = ["chain", "kind", "name", "order", "description", "source"]


class ChainAttributeFilterSet(ScopedFilterSet):
    search_fields = ("name", "description")

    class Meta:
        model = ChainAttribute
        fields = ["chain", "kind"]


class ChainAttributeViewSet(ViewSet):
    model = ChainAttribute
    url_prefix = "chain_attributes"
    menu_group = "chains"
    menu_order = 40
    icon = "list-details"
    form_class = ChainAttributeForm
    filterset_class = ChainAttributeFilterSet
    facets = (("chain", "chain"), ("kind", "kind"))
    table = Table(
        columns=[
            Column("name", order_by="name", link=True),
            Column("kind", order_by="kind"),
            Column("chain.name", label=_("chain"), order_by="chain__name"),
        ],
        select_related=("chain",),
        default_order=("chain__name", "kind", "order"),
    )


class ChainStatisticForm(ScopedModelForm):
    class Meta:
        model = ChainStatistic
        fields = ["chain", "metric", "period_type", "year", "month", "value", "note", "source"]


class ChainStatisticFilterSet(ScopedFilterSet):
    search_fields = ("chain__name", "note", "source")
    in_global_search = False

    class Meta:
        model = ChainStatistic
        fields = ["chain", "metric", "year"]


class ChainStatisticViewSet(ViewSet):
    model = ChainStatistic
    url_prefix = "chain_statistics"
    menu_group = "chains"
    menu_label = _("Chain statistics")
    menu_order = 50
    icon = "chart-bar"
    form_class = ChainStatisticForm
    filterset_class = ChainStatisticFilterSet
    facets = (("chain", "chain"), ("metric", "metric"), ("year", "year"))
    table = Table(
        columns=[
            Column("metric", order_by="metric", link=True),
            Column("period", label=_("period"), order_by="year"),
            Column("value", order_by="value"),
            Column("chain.name", label=_("chain"), order_by="chain__name"),
            Column("source"),
        ],
        select_related=("chain",),
        default_order=("chain__name", "metric", "-year"),
    )

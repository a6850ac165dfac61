from functools import lru_cache

import django_filters
from django.db.models import Case, OuterRef, Subquery, TextField, Value, When
from django.db.models.functions import Concat
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from chainboard.dbfunctions import StringJoin
from chainboard.filters import LookupFilter, ScopedFilterSet
from chainboard.imports.related import RelatedImport
from chainboard.lookups import lookup_view
from chainboard.tables import Column, Table
from chainboard.views.generic import ViewSet
from regions.models import Region, location_label

from . import forms
from .models import (
    ROLE_LABELS,
    AboveSizeStatus,
    Contact,
    Enterprise,
    Indicator,
    Membership,
    MembershipRole,
    Product,
)

# Measured by Indicator.measures: 4.3亿元 on screen, the number in yuan in an export (docs/formatting.md).
MONEY_COLUMNS = [Column(name, order_by=name) for name in Indicator.money_fields]


class EnterpriseFilterSet(ScopedFilterSet):
    search_fields = ("name", "short_name", "uscc")
    chain = django_filters.ModelChoiceFilter(
        field_name="memberships__chain",
        label=_("chain"),
        queryset=None,
        distinct=True,
    )
    role = django_filters.ChoiceFilter(
        field_name="memberships__role",
        label=_("role on the chain"),
        choices=Membership._meta.get_field("role").choices,
        distinct=True,
    )
    region = LookupFilter(
        queryset=Region.objects.all(),
        lookup_url_name="regions:region_lookup",
        subtree_path="path",
        label=_("region"),
        help_text=_("The region and everything below it."),
    )
    industry = django_filters.CharFilter(
        label=_("industry code"),
        method="filter_industry",
        help_text=_("A prefix: C17 finds every textile class."),
    )
    is_chain_leader = django_filters.BooleanFilter(label=_("chain-leader"), method="filter_leader")

    class Meta:
        model = Enterprise
        fields = ["is_sample"]

    def __init__(self, *args, **kwargs):
        from chains.models import Chain

        self.base_filters["chain"].extra["queryset"] = Chain.objects.all()
        super().__init__(*args, **kwargs)

    def filter_industry(self, queryset, name, value):
        # A prefix of the GB/T 4754 code (C: manufacturing, C17: textiles). The class's code is its primary
        # key, so this reads the enterprise's own column without a join; ``industry_class_id`` would name
        # the foreign key itself, which has no ``startswith``.
        value = value.strip().upper()
        return queryset.filter(industry_class__code__startswith=value) if value else queryset

    def filter_leader(self, queryset, name, value):
        if value is None:
            return queryset
        leaders = Membership.objects.filter(role=MembershipRole.LEADER).values("enterprise_id")
        return queryset.filter(pk__in=leaders) if value else queryset.exclude(pk__in=leaders)


class EnterpriseTable(Table):
    """The enterprise list's table. An export runs it over every row (100,000 and more at province
    scale), so each row loads only what the columns, the row's link and its sample badge read, and no
    object per region or chain: region and chain names come as annotations (bench/README.md)."""

    fields = ("name", "short_name", "uscc", "is_sample", "version", "industry_class_id", "region_id")

    def prepare(self, queryset, user=None, *, display=True):
        return super().prepare(queryset, user, display=display).only(*self.fields)

    def display_values(self, user=None):
        # The chains and roles as one joined string per row, from a correlated subquery limited to the
        # memberships the reader may see: no membership objects (an export of 100,000 rows built as
        # many again) and no query per row. A list page reads them for its page only (Table.fill).
        memberships = Membership.objects.filter(enterprise=OuterRef("pk"))
        if user is not None:
            memberships = memberships.restrict(user, "view")
        joined = (
            memberships.order_by()
            .values("enterprise")
            .annotate(
                text=StringJoin(
                    Concat(
                        "chain__name",
                        Value(UNIT),
                        "role",
                        Value(UNIT),
                        Case(When(is_sample=True, then=Value("1")), default=Value("")),
                        output_field=TextField(),
                    ),
                    Value(RECORD),
                )
            )
            .values("text")
        )
        regions = Region.objects.filter(code=OuterRef("region_id")).order_by()
        return {
            "region_name": Subquery(regions.values("name")[:1]),
            "region_level": Subquery(regions.values("level")[:1]),
            "chain_roles_text": Subquery(joined, output_field=TextField()),
        }


UNIT, RECORD = "\x1f", "\x1e"  # separators inside the joined chains-and-roles string


def chain_roles(enterprise) -> str:
    text = getattr(enterprise, "chain_roles_text", False)
    if text is not False:  # annotated by EnterpriseTable (None: no membership in the reader's scope)
        rows = sorted(tuple(item.split(UNIT, 2)) for item in text.split(RECORD)) if text else []
    else:
        rows = [
            (m.chain.name, m.role, "1" if m.is_sample else "")
            for m in enterprise.memberships.select_related("chain")
        ]
    return "、".join(_membership_text(name, role, sample == "1") for name, role, sample in rows) or None


def _membership_text(chain: str, role: str, sample: bool) -> str:
    text = f"{chain}·{_role_label(get_language(), role)}"
    # A sample membership (示例数据) says so in the list and its export, like every sample record.
    return _("%(membership)s (sample data)") % {"membership": text} if sample else text


@lru_cache(maxsize=64)
def _role_label(language: str | None, role: str) -> str:
    """A role's label in ``language``, made once (an export of 100,000 rows asked for it as often)."""
    return str(ROLE_LABELS.get(role, role))


def region_label(enterprise):
    if hasattr(enterprise, "region_name"):  # annotated by EnterpriseTable (a list page's rows)
        return location_label(enterprise.region_name, enterprise.region_level)
    region = enterprise.region  # an export reads the regions by key, once each (Column.reads)
    return None if region is None else location_label(region.name, region.level)


class EnterpriseViewSet(ViewSet):
    model = Enterprise
    url_prefix = "enterprises"
    menu_group = "enterprises"
    menu_order = 10
    icon = "building-store"
    form_class = forms.EnterpriseForm
    filterset_class = EnterpriseFilterSet
    facets = (("chain", "memberships__chain"), ("role", "memberships__role"))
    # First in the global search; a hit shows the full name, the county and the chains with roles.
    search_rank = 10
    search_columns = ("region", "chains")
    instructions = True  # leaders instruct (批示) on it (docs/instructions.md)
    table = EnterpriseTable(
        columns=[
            Column("name", order_by="name", link=True),
            Column("uscc", order_by="uscc"),
            Column("region", render=region_label, order_by="region__code", reads=("region",)),
            # The class's code is its primary key: read from the row, no join.
            Column(
                "industry_class.code",
                label=_("industry class"),
                order_by="industry_class__code",
                render=lambda row: row.industry_class_id,
                reads=("industry_class_id",),
            ),
            Column("chains", label=_("chains and roles"), render=chain_roles, reads=("chain_roles_text",)),
        ],
        default_order=("name",),
    )
    # A ledger of enterprises also fills these records, row by row (docs/imports.md, Wide ledgers):
    # the figures for the period chosen for the file, the above-size status for its year, a contact
    # found again by name, products one per name ("丝绸、围巾").
    import_related = (
        RelatedImport(Indicator, "enterprise", Indicator.METRICS, period=True),
        RelatedImport(
            AboveSizeStatus,
            "enterprise",
            ("is_above_size",),
            year=True,
            aliases={"is_above_size": ("规上", "是否规上", "规上企业", "是否规上企业", "规模以上")},
        ),
        RelatedImport(
            Contact,
            "enterprise",
            ("name", "title", "phone", "email"),
            key=("name",),
            aliases={
                "name": ("联系人", "联系人姓名", "企业联系人"),
                "title": ("联系人职务", "职务"),
                "phone": ("电话", "联系电话", "手机", "手机号码", "联系方式"),
                "email": ("邮箱", "电子邮箱", "联系邮箱"),
            },
        ),
        RelatedImport(
            Product,
            "enterprise",
            ("name",),
            key=("name",),
            split="name",
            aliases={"name": ("主要产品", "产品", "主导产品", "主营产品")},
        ),
    )
    detail_related = [
        (
            _("Chains"),
            "memberships",
            Table(
                columns=[Column("chain.name", label=_("chain"), link=True), Column("role")],
                select_related=("chain",),
                default_order=("chain__name",),
            ),
        ),
        (
            _("Products"),
            "products",
            Table(
                columns=[Column("name", link=True), Column("brand"), Column("applications")],
                default_order=("name",),
            ),
        ),
        (
            _("Contacts"),
            "contacts",
            Table(
                columns=[Column("name", link=True), Column("title"), Column("phone")], default_order=("name",)
            ),
        ),
        (
            _("Above-size status by year"),
            "above_size_statuses",
            Table(columns=[Column("year", link=True), Column("is_above_size")], default_order=("-year",)),
        ),
        (
            _("Indicators"),
            "indicators",
            Table(
                columns=[
                    Column("period", label=_("period"), link=True),
                    *MONEY_COLUMNS,  # 4.3亿元, 92万元, as everywhere else
                    Column("employees"),
                    Column("electricity"),
                ],
                default_order=("-year", "-month"),
            ),
        ),
    ]


def child_table(*columns: Column) -> Table:
    return Table(
        columns=[*columns, Column("enterprise.name", label=_("enterprise"), order_by="enterprise__name")],
        select_related=("enterprise",),
        default_order=("enterprise__name",),
    )


class MembershipFilterSet(ScopedFilterSet):
    search_fields = ("enterprise__name", "enterprise__short_name", "chain__name")
    in_global_search = False

    class Meta:
        model = Membership
        fields = ["chain", "role"]


class MembershipViewSet(ViewSet):
    model = Membership
    url_prefix = "memberships"
    menu_group = "enterprises"
    menu_order = 20
    icon = "link"
    form_class = forms.MembershipForm
    filterset_class = MembershipFilterSet
    facets = (("chain", "chain"), ("role", "role"))
    table = Table(
        columns=[
            Column("enterprise.name", label=_("enterprise"), link=True, order_by="enterprise__name"),
            Column("chain.name", label=_("chain"), order_by="chain__name"),
            Column("role", order_by="role"),
        ],
        select_related=("enterprise", "chain"),
        default_order=("chain__name", "enterprise__name"),
    )


class ProductFilterSet(ScopedFilterSet):
    search_fields = ("name", "brand")

    class Meta:
        model = Product
        fields = ["is_sample"]


class ProductViewSet(ViewSet):
    model = Product
    url_prefix = "products"
    menu_group = "enterprises"
    menu_order = 50
    icon = "package"
    form_class = forms.ProductForm
    filterset_class = ProductFilterSet
    facets = (("is_sample", "is_sample"),)
    table = child_table(Column("name", order_by="name", link=True), Column("brand", order_by="brand"))


class ContactFilterSet(ScopedFilterSet):
    search_fields = ("name", "title")

    class Meta:
        model = Contact
        fields = ["is_sample"]


class ContactViewSet(ViewSet):
    model = Contact
    url_prefix = "contacts"
    menu_group = "enterprises"
    menu_order = 60
    icon = "address-book"
    form_class = forms.ContactForm
    filterset_class = ContactFilterSet
    facets = (("is_sample", "is_sample"),)
    table = child_table(Column("name", order_by="name", link=True), Column("title"), Column("phone"))


class AboveSizeStatusFilterSet(ScopedFilterSet):
    search_fields = ("enterprise__name", "enterprise__short_name")  # by the enterprise's keys, pinyin too
    in_global_search = False

    class Meta:
        model = AboveSizeStatus
        fields = ["year", "is_above_size"]


class AboveSizeStatusViewSet(ViewSet):
    model = AboveSizeStatus
    url_prefix = "above_size_statuses"
    menu_group = "enterprises"
    menu_order = 40
    icon = "award"
    form_class = forms.AboveSizeStatusForm
    filterset_class = AboveSizeStatusFilterSet
    facets = (("year", "year"), ("is_above_size", "is_above_size"))
    table = child_table(
        Column("year", order_by="year", link=True), Column("is_above_size", order_by="is_above_size")
    )


class IndicatorFilterSet(ScopedFilterSet):
    search_fields = ("enterprise__name", "enterprise__short_name")  # by the enterprise's keys, pinyin too
    in_global_search = False

    class Meta:
        model = Indicator
        fields = ["period_type", "year", "month", "is_sample"]


class IndicatorViewSet(ViewSet):
    model = Indicator
    url_prefix = "indicators"
    menu_group = "enterprises"
    menu_order = 30
    icon = "chart-line"
    form_class = forms.IndicatorForm
    filterset_class = IndicatorFilterSet
    facets = (("period_type", "period_type"), ("year", "year"))
    table = child_table(
        Column("period", label=_("period"), order_by="year", link=True),
        *MONEY_COLUMNS,
        Column("employees", order_by="employees"),
    )


# The enterprise picker of other kinds' filters (a problem's enterprise): a drop-down of every enterprise
# in scope would render a million options at province scale (bench/README.md, "Issue 16").
enterprise_lookup = lookup_view(
    lambda user: Enterprise.objects.restrict(user, "view").order_by("name", "pk"),
    fields=("name",),
    prefix_fields=("uscc",),
    text=lambda e: e.name,
)

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chainboard.formatting import KWH, MONEY, PEOPLE
from chainboard.models import NON_NEGATIVE, AuditedModel
from chainboard.periods import PeriodFields

from .uscc import normalise, uscc_problem

ENTERPRISE_SCOPE = {"chain": "memberships__chain", "region": "region__path", "enterprise": "pk"}
CHILD_SCOPE = {
    "chain": "enterprise__memberships__chain",
    "region": "enterprise__region__path",
    "enterprise": "enterprise",
}


def validate_uscc(value: str) -> None:
    problem = uscc_problem(normalise(value))
    messages = {
        "length": _("A unified social credit code has 18 characters; this one has %(n)s."),
        "character": _(
            "A unified social credit code uses digits and capital letters except I, O, S, V and Z."
        ),
        "region": _("Characters 3 to 8 of a unified social credit code are the region's digits."),
        "check": _("The check character (the 18th) does not match: this code has a typing error."),
    }
    if problem is not None:
        raise ValidationError(messages[problem], code=f"uscc_{problem}", params={"n": len(normalise(value))})


class Enterprise(AuditedModel):
    """A company on one or more chains. Its statistical figures are confidential (see ``Indicator``)."""

    name = models.CharField(
        verbose_name=_("name"),
        max_length=200,
        db_index=True,  # lists are sorted by name; a common search term walks it (chainboard.search)
    )
    short_name = models.CharField(
        verbose_name=_("short name"),
        max_length=50,
        blank=True,
        db_index=True,
    )
    uscc = models.CharField(
        verbose_name=_("unified social credit code"),
        max_length=18,
        null=True,  # unknown stays unknown; unique only when present
        blank=True,
        unique=True,
        validators=[validate_uscc],
        error_messages={"unique": _("Another enterprise has this unified social credit code.")},
    )
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="enterprises",
        help_text=_("The county or town; the city when the county is unknown."),
        # Indexed together with the name (Meta.indexes), which also answers every lookup on the region.
        db_index=False,
    )
    address = models.CharField(
        verbose_name=_("address"),
        max_length=200,
        blank=True,
    )
    longitude = models.DecimalField(
        verbose_name=_("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("73")), MaxValueValidator(Decimal("136"))],
    )
    latitude = models.DecimalField(
        verbose_name=_("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("3")), MaxValueValidator(Decimal("54"))],
    )
    industry_class = models.ForeignKey(
        "industries.IndustryClass",
        verbose_name=_("industry class"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enterprises",
    )
    chains = models.ManyToManyField(
        "chains.Chain",
        verbose_name=_("chains"),
        through="Membership",
        related_name="enterprises",
        blank=True,
    )
    segments = models.ManyToManyField(
        "chains.Segment",
        verbose_name=_("segments"),
        related_name="enterprises",
        blank=True,
    )
    description = models.TextField(
        verbose_name=_("description"),
        blank=True,
    )

    scope_paths = ENTERPRISE_SCOPE
    # An enterprise user's log-in grant would vanish by cascade: it is removed by the administrator first.
    delete_protected = ("grants",)
    search_fields = ("name", "short_name", "uscc")  # indexed by chainboard.search
    # The index also carries the region's codes as tokens (migration 0007): a county's search reads the
    # term's entries in the county only (docs/search.md, "Region tokens").
    search_region = "region"
    # Imports (chainboard/imports/): a USCC that finds an enterprise updates it; other sheets name an
    # enterprise by USCC, name or short name; headers as the bureau's spreadsheets write them.
    import_keys = ("uscc",)
    import_lookup_fields = ("uscc", "name", "short_name")
    import_aliases = {
        "name": ("企业名称", "单位名称", "公司名称", "企业"),
        "short_name": ("简称", "企业简称"),
        "uscc": ("统一社会信用代码", "社会信用代码", "信用代码", "USCC"),
        "region": ("所在地区", "所属县区", "所在县区", "县（市、区）", "县市区", "区域", "行政区划代码"),
        # (and the county headers every entity's region column takes: chainboard/imports/mapping.py)
        "address": ("地址", "详细地址", "企业地址"),
        "industry_class": ("行业代码", "国民经济行业", "所属行业", "行业"),
        "chains": ("产业链", "所属产业链"),
        "segments": ("环节", "产业链环节", "所属环节"),
        "description": ("简介", "企业简介", "主营业务"),
    }
    detail_fields = (
        "name",
        "short_name",
        "uscc",
        "region",
        "address",
        "longitude",
        "latitude",
        "industry_class",
        "chains",
        "segments",
        "description",
    )

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name"]
        # A county's rows in name order from the index alone: its first names (the search box's window)
        # without reading the county's rows from the table (docs/lists.md, "A region's rows in name
        # order"). The key is included for PostgreSQL, whose index entries point at the row, not its key;
        # SQLite's carry the key anyway (Django leaves ``include`` out there: models.W040 is silenced in
        # settings.py). It replaces the foreign key's own index, whose lookups it answers too.
        indexes = [models.Index(fields=["region", "name"], include=["id"], name="enterprise_region_name")]

    def __str__(self) -> str:
        return self.short_name or self.name

    def clean(self) -> None:
        super().clean()
        if self.uscc is not None:
            self.uscc = normalise(self.uscc) or None
        if (self.longitude is None) != (self.latitude is None):
            raise ValidationError({"latitude": _("Enter both longitude and latitude, or neither.")})

    def get_region_display(self) -> str | None:
        """The region as every screen and export shows it: 晋城市（县区未知） when only the city is known.
        (Read by the generic detail page and table columns as a ``get_<field>_display``.)"""
        from regions.models import location_label

        region = self.region
        return None if region is None else location_label(region.name, region.level)

    @staticmethod
    def normalise_import_key(name: str, value: str) -> str:
        return normalise(value).replace("-", "") if name == "uscc" else value

    @property
    def is_chain_leader(self) -> bool:
        return any(m.role == MembershipRole.LEADER for m in self.memberships.all())

    def delete_refusal(self, user) -> str | None:
        """A chain leader (链主) is named by the city; it is not deleted while it leads a chain, whoever asks:
        the chain office changes its role on the chain first (docs/roles.md)."""
        chains = [
            m.chain.name for m in self.memberships.filter(role=MembershipRole.LEADER).select_related("chain")
        ]
        if chains:
            return _(
                "%(name)s is the chain leader of %(chains)s: change its role on the chain before deleting it."
            ) % {
                "name": self,
                "chains": "、".join(chains),
            }
        return None


class MembershipRole(models.TextChoices):
    MEMBER = "member", _("member")
    CORE = "core", _("chain-core")
    LEADER = "leader", _("chain-leader")

    @property
    def colour(self) -> str:
        return {"member": "secondary", "core": "cyan", "leader": "orange"}[self.value]


ROLE_LABELS = dict(MembershipRole.choices)  # lazy labels: translated when the string is made


class Membership(AuditedModel):
    """An enterprise's place on a chain: member, chain-core (链核) or chain-leader (链主)."""

    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="memberships",
        # Looked up by the (enterprise, role) index below and the (enterprise, chain) constraint's.
        db_index=False,
    )
    chain = models.ForeignKey(
        "chains.Chain",
        verbose_name=_("chain"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    role = models.CharField(
        verbose_name=_("role on the chain"),
        max_length=16,
        choices=MembershipRole.choices,
        default=MembershipRole.MEMBER,
    )
    note = models.CharField(
        verbose_name=_("note"),
        max_length=200,
        blank=True,
    )
    # The enterprise's region, carried on each of its memberships so that a list filtered by a region and
    # a chain is counted off the memberships' own index instead of testing each of the region's
    # enterprises (``carried`` below; docs/lists.md, "A region carried on the memberships"). Kept equal to
    # the enterprise's by database triggers (migration 0011), on every write path: a form, the API, an
    # import's bulk insert, a queryset update. Derived, so neither edited nor audited: the enterprise's
    # own audit record holds the change.
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,  # the enterprise's own key guards it
        null=True,
        editable=False,
        related_name="+",
        db_index=False,
    )

    scope_paths = {"chain": "chain", "region": "enterprise__region__path", "enterprise": "enterprise"}
    # Fields of the row a foreign key points at, copied onto this row (chainboard/scope.py, ``carried``).
    carried = {"enterprise": ("region",)}
    # Per role and per chain, the number of enterprises, kept on write by database triggers (migration
    # 0012; chainboard/keptcounts.py): the facets of the list of every enterprise read them.
    kept = {"enterprise": ("role", "chain")}
    audit_exclude = ("created_at", "updated_at", "region")
    detail_fields = ("enterprise", "chain", "role", "note")

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["chain", "enterprise__name"]
        # The role facet counts enterprises per role (COUNT(DISTINCT enterprise_id) GROUP BY role): over
        # every membership, read in order from (role, enterprise), with no temporary B-tree over all of
        # them; over some enterprises (a county's, a search's matches), from (enterprise, role) alone,
        # without reading each membership's row (chainboard/facets.py; docs/lists.md, "Facets").
        indexes = [
            models.Index(fields=["role", "enterprise"], name="membership_role_enterprise"),
            models.Index(fields=["enterprise", "role"], name="membership_enterprise_role"),
            # A chain's enterprises in a region, read off the index alone; and the chain facet of a list
            # filtered by a region, grouped from the region's memberships (chainboard/facets.py).
            models.Index(fields=["chain", "region", "enterprise"], name="membership_chain_region"),
            models.Index(fields=["region", "chain"], name="membership_region_chain"),
            # The role facet of a region's enterprises (a county user's scope, a region filter), grouped
            # from the region's memberships off the index alone (chainboard/facets.py).
            models.Index(fields=["region", "role", "enterprise"], name="membership_region_role"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "chain"],
                name="membership_unique_enterprise_chain",
                violation_error_message=_("This enterprise is on this chain already."),
            )
        ]

    def __str__(self) -> str:
        # A label from a dict made once, not get_role_display() or MembershipRole.values: both rebuild
        # the choices per call, which an import's 100,000 audit rows feel.
        role = ROLE_LABELS.get(self.role, self.role)
        return f"{self.enterprise} · {self.chain} · {role}"


class Product(AuditedModel):
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="products",
    )
    name = models.CharField(
        verbose_name=_("product"),
        max_length=200,
    )
    brand = models.CharField(
        verbose_name=_("brand"),
        max_length=100,
        blank=True,
    )
    applications = models.CharField(
        verbose_name=_("applications"),
        max_length=200,
        blank=True,
        help_text=_("Where the product is used."),
    )
    description = models.TextField(
        verbose_name=_("description"),
        blank=True,
    )

    scope_paths = CHILD_SCOPE
    detail_fields = ("enterprise", "name", "brand", "applications", "description")
    search_fields = ("name", "brand")  # indexed by chainboard.search: grows with the enterprises

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["enterprise", "name"]

    def __str__(self) -> str:
        return self.name


class Contact(AuditedModel):
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    name = models.CharField(
        verbose_name=pgettext_lazy("person", "name"),
        max_length=100,
    )
    title = models.CharField(
        verbose_name=_("title"),
        max_length=100,
        blank=True,
    )
    phone = models.CharField(
        verbose_name=_("phone"),
        max_length=32,
        blank=True,
    )
    email = models.EmailField(
        verbose_name=_("e-mail"),
        blank=True,
    )

    scope_paths = CHILD_SCOPE
    detail_fields = ("enterprise", "name", "title", "phone", "email")
    search_fields = ("name", "title")  # indexed by chainboard.search: grows with the enterprises

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["enterprise", "name"]

    def __str__(self) -> str:
        return self.name


class AboveSizeStatus(AuditedModel):
    """Whether the statistics bureau counted the enterprise above size (规上) in a year. Never derived."""

    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="above_size_statuses",
    )
    year = models.PositiveSmallIntegerField(
        verbose_name=_("year"),
        validators=[MinValueValidator(1949), MaxValueValidator(2100)],
    )
    is_above_size = models.BooleanField(
        verbose_name=_("above size"),
        default=True,
    )

    scope_paths = CHILD_SCOPE
    detail_fields = ("enterprise", "year", "is_above_size")

    class Meta:
        verbose_name = _("above-size status")
        verbose_name_plural = _("above-size statuses")
        ordering = ["enterprise", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "year"],
                name="abovesize_unique_year",
                violation_error_message=_("This enterprise has a status for this year already."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.year}"


class Indicator(PeriodFields, AuditedModel):
    """An enterprise's figures for one period. Confidential statistical data (统计法): only the chiefs,
    the chain office, county staff for their county and the enterprise itself hold ``view_indicator``."""

    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="indicators",
    )
    output_value = models.DecimalField(
        verbose_name=_("output value (yuan)"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
    )
    revenue = models.DecimalField(
        verbose_name=_("revenue (yuan)"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
    )
    tax = models.DecimalField(
        verbose_name=_("tax (yuan)"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
    )
    employees = models.PositiveIntegerField(
        verbose_name=_("employees"),
        null=True,
        blank=True,
    )
    electricity = models.DecimalField(
        verbose_name=_("electricity (kWh)"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
    )

    scope_paths = CHILD_SCOPE
    detail_fields = (
        "enterprise",
        "period_type",
        "year",
        "month",
        "output_value",
        "revenue",
        "tax",
        "employees",
        "electricity",
    )
    METRICS = ("output_value", "revenue", "tax", "employees", "electricity")
    money_fields = ("output_value", "revenue", "tax")
    measures = {**dict.fromkeys(money_fields, MONEY), "employees": PEOPLE, "electricity": KWH}
    import_aliases = {
        "enterprise": ("企业名称", "单位名称", "统一社会信用代码"),
        "period_type": ("期间", "统计期", "期间类型"),
        "year": ("年份", "年度"),
        "month": ("月份", "截至月份"),
        "output_value": ("产值", "工业总产值", "工业产值"),
        "revenue": ("营业收入", "营收", "主营业务收入"),
        "tax": ("税收", "税金", "纳税", "实缴税金"),
        "employees": ("从业人员", "用工人数", "职工人数", "从业人数"),
        "electricity": ("用电量", "工业用电量"),
    }

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["enterprise", "-year", "-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "period_type", "year"],
                condition=models.Q(month__isnull=True),
                name="indicator_unique_year",
                violation_error_message=_("This enterprise has figures for this period already."),
            ),
            models.UniqueConstraint(
                fields=["enterprise", "period_type", "year", "month"],
                condition=models.Q(month__isnull=False),
                name="indicator_unique_month",
                violation_error_message=_("This enterprise has figures for this period already."),
            ),
        ]
        indexes = [models.Index(fields=["period_type", "year", "month"], name="indicator_period_idx")]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.period}"

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from chainboard.formatting import ENTERPRISES, MONEY, PERCENT, PROJECTS, Measure, PerRow
from chainboard.models import AuditedModel
from chainboard.periods import PeriodFields


class ChainLevel(models.TextChoices):
    CITY = "city", _("city")
    PROVINCE = "province", _("province")

    @property
    def colour(self) -> str:
        return {"city": "blue", "province": "purple"}[self.value]


class Chain(AuditedModel):
    """A key industrial chain (产业链) the city or province manages."""

    name = models.CharField(
        verbose_name=_("name"),
        max_length=100,
    )
    level = models.CharField(
        verbose_name=_("level"),
        max_length=16,
        choices=ChainLevel.choices,
        default=ChainLevel.CITY,
    )
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="chains",
        help_text=_("The city or province that runs the chain."),
    )
    description = models.TextField(
        verbose_name=_("description"),
        blank=True,
    )
    yearly_landing_target = models.PositiveSmallIntegerField(
        verbose_name=_("projects to land per year"),
        null=True,
        blank=True,
        help_text=_("Target number of investment projects landed per year."),
    )

    scope_paths = {"chain": "pk", "enterprise": "memberships__enterprise"}
    # Everything that hangs on a chain stops its deletion (chainboard/deletion.py), whoever asks: its
    # structure, its people, its enterprises, the grants that give users the chain, its published facts.
    delete_protected = ("segments", "positions", "memberships", "grants", "statistics", "attributes")
    detail_fields = ("name", "level", "region", "yearly_landing_target", "description")
    # Imports name a chain as ledgers do, with or without its suffix: 丝麻纺织服装 for 丝麻纺织服装产业链.
    import_name_suffixes = ("产业链",)
    measures = {"yearly_landing_target": PROJECTS}  # 2个 (docs/formatting.md)

    class Meta:
        verbose_name = _("chain")
        verbose_name_plural = _("chains")
        ordering = ["level", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "level"],
                name="chain_unique_name_level",
                violation_error_message=_("A chain with this name and level exists already."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Segment(AuditedModel):
    """One link (环节) of a chain; links to other segments form an upstream→downstream graph."""

    chain = models.ForeignKey(
        Chain,
        verbose_name=_("chain"),
        on_delete=models.PROTECT,
        related_name="segments",
    )
    name = models.CharField(
        verbose_name=_("name"),
        max_length=100,
    )
    stream = models.CharField(
        verbose_name=_("place in the chain"),
        max_length=16,
        choices=[("upstream", _("upstream")), ("midstream", _("midstream")), ("downstream", _("downstream"))],
        blank=True,
    )
    is_weak = models.BooleanField(
        verbose_name=_("weak link"),
        default=False,
        help_text=_("A weak or missing link that investment attraction should fill."),
    )
    description = models.TextField(
        verbose_name=_("description"),
        blank=True,
    )
    order = models.PositiveSmallIntegerField(
        verbose_name=_("order"),
        default=0,
    )

    scope_paths = {"chain": "chain", "enterprise": "chain__memberships__enterprise"}
    detail_fields = ("chain", "name", "stream", "is_weak", "order", "description")
    # Enterprises placed on the segment would lose their place silently; its links go with it (audited).
    delete_protected = ("enterprises",)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["chain", "order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["chain", "name"],
                name="segment_unique_name_per_chain",
                violation_error_message=_("This chain has a segment with this name already."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.chain.name} · {self.name}"

    def downstream_ids(self, exclude_link: int | None = None) -> set[int]:
        """Every segment reachable downstream from this one (a walk over the links, ``exclude_link`` aside)."""
        links = (
            SegmentLink.objects.filter(upstream__chain_id=self.chain_id)
            .exclude(pk=exclude_link)
            .values_list("upstream_id", "downstream_id")
        )
        children: dict[int, list[int]] = {}
        for up, down in links:
            children.setdefault(up, []).append(down)
        seen: set[int] = set()
        frontier = [self.pk]
        while frontier:
            node = frontier.pop()
            for child in children.get(node, []):
                if child not in seen:
                    seen.add(child)
                    frontier.append(child)
        return seen


class SegmentLink(AuditedModel):
    """An edge upstream → downstream between two segments of one chain. The graph has no cycles."""

    upstream = models.ForeignKey(
        Segment,
        verbose_name=_("upstream segment"),
        on_delete=models.CASCADE,
        related_name="downstream_links",
    )
    downstream = models.ForeignKey(
        Segment,
        verbose_name=_("downstream segment"),
        on_delete=models.CASCADE,
        related_name="upstream_links",
    )

    scope_paths = {"chain": "upstream__chain", "enterprise": "upstream__chain__memberships__enterprise"}

    class Meta:
        verbose_name = _("segment link")
        verbose_name_plural = _("segment links")
        ordering = ["upstream__order", "downstream__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["upstream", "downstream"],
                name="segmentlink_unique_edge",
                violation_error_message=_("These segments are linked already."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.upstream.name} → {self.downstream.name}"

    def clean(self) -> None:
        super().clean()
        if not (self.upstream_id and self.downstream_id):
            return
        if self.upstream_id == self.downstream_id:
            raise ValidationError({"downstream": _("A segment cannot follow itself.")})
        if self.upstream.chain_id != self.downstream.chain_id:
            raise ValidationError({"downstream": _("Both segments must belong to the same chain.")})
        # The new edge up → down closes a cycle when up is already reachable downstream from down.
        # The edge being edited is left out of the walk: it is about to be replaced by this one.
        if self.upstream_id in self.downstream.downstream_ids(exclude_link=self.pk):
            raise ValidationError(
                {
                    "downstream": _("%(down)s is already upstream of %(up)s: this link would close a cycle.")
                    % {"down": self.downstream.name, "up": self.upstream.name}
                }
            )


class PositionKind(models.TextChoices):
    CHIEF = "chief", _("chief")
    DEPUTY_CHIEF = "deputy_chief", _("deputy chief")
    CHIEF_ASSISTANT = "chief_assistant", _("chief assistant")
    OFFICE_MEMBER = "office_member", _("office member")


class Position(AuditedModel):
    """A governance position on a chain (链长制). Holding it grants the matching role on the chain."""

    chain = models.ForeignKey(
        Chain,
        verbose_name=_("chain"),
        on_delete=models.PROTECT,
        related_name="positions",
    )
    kind = models.CharField(
        verbose_name=_("position"),
        max_length=32,
        choices=PositionKind.choices,
    )
    title = models.CharField(
        verbose_name=_("title"),
        max_length=100,
        blank=True,
        help_text=_("E.g. 分管副市长. The demo names no real people."),
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="positions",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="positions",
    )
    duties = models.TextField(
        verbose_name=_("duties"),
        blank=True,
    )

    scope_paths = {"chain": "chain"}
    detail_fields = ("chain", "kind", "title", "organisation", "user", "duties")

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["chain", "kind"]

    def write_refusal(self, user) -> str | None:
        """Holding a position grants a role: nobody links themselves to one (docs/roles.md)."""
        if self.user_id is not None and self.user_id == getattr(user, "pk", None):
            return _("You may not take a position yourself: another administrator links you to it.")
        return None

    def delete_refusal(self, user) -> str | None:
        """A position someone holds grants them a role: it is vacated (user unlinked) before it goes."""
        if self.user_id is not None:
            return _("%(position)s is held by %(user)s: unlink the user before deleting the position.") % {
                "position": self,
                "user": self.user,
            }
        return None

    def __str__(self) -> str:
        return f"{self.chain.name} · {self.get_kind_display()}"


class AttributeKind(models.TextChoices):
    SPECIAL_ACTION = "special_action", _("special action")
    WORKING_MECHANISM = "working_mechanism", _("working mechanism")
    MODEL = "model", _("model")
    FACT = "fact", _("fact")
    COMMITMENT = "commitment", _("commitment")


class ChainAttribute(AuditedModel):
    """A named attribute of a chain: a special action, a working mechanism, a model, a fact."""

    chain = models.ForeignKey(
        Chain,
        verbose_name=_("chain"),
        on_delete=models.CASCADE,
        related_name="attributes",
    )
    kind = models.CharField(
        verbose_name=_("kind"),
        max_length=32,
        choices=AttributeKind.choices,
    )
    name = models.CharField(
        verbose_name=_("name"),
        max_length=200,
    )
    description = models.TextField(
        verbose_name=_("description"),
        blank=True,
    )
    order = models.PositiveSmallIntegerField(
        verbose_name=_("order"),
        default=0,
    )

    # Published facts (special actions, mechanisms): visible with the chain, to its enterprises' users too.
    scope_paths = {"chain": "chain", "enterprise": "chain__memberships__enterprise"}
    detail_fields = ("chain", "kind", "name", "order", "description")

    class Meta:
        verbose_name = _("chain attribute")
        verbose_name_plural = _("chain attributes")
        ordering = ["chain", "kind", "order"]

    def __str__(self) -> str:
        return self.name


class StatisticMetric(models.TextChoices):
    # No unit in the label: the value carries it on screen (4.3亿元, 6户) and an export's heading names
    # it per unit column (docs/formatting.md).
    OUTPUT_VALUE = "output_value", _("output value")
    REVENUE = "revenue", _("revenue")
    TAX = "tax", _("tax")
    ABOVE_SIZE_COUNT = "above_size_count", _("above-size enterprises")
    ENTERPRISE_COUNT = "enterprise_count", _("enterprises")
    NATIONAL_SHARE = "national_share", _("share of national scale")

    @property
    def is_money(self) -> bool:
        return self.value in {"output_value", "revenue", "tax"}

    @property
    def measure(self) -> Measure:
        if self.is_money:
            return MONEY
        return PERCENT if self.value == "national_share" else ENTERPRISES


class ChainStatistic(PeriodFields, AuditedModel):
    """An official figure for a chain (e.g. 2023 output 4.3亿元), kept beside computed sums, never merged."""

    chain = models.ForeignKey(
        Chain,
        verbose_name=_("chain"),
        on_delete=models.CASCADE,
        related_name="statistics",
    )
    metric = models.CharField(
        verbose_name=_("metric"),
        max_length=32,
        choices=StatisticMetric.choices,
    )
    value = models.DecimalField(
        verbose_name=_("value"),
        max_digits=18,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    note = models.CharField(
        verbose_name=_("note"),
        max_length=200,
        blank=True,
    )

    # Published facts: everyone who sees the chain sees them, the chain's enterprises' users too
    # (docs/scope.md); only enterprise-level figures are confidential.
    scope_paths = {"chain": "chain", "enterprise": "chain__memberships__enterprise"}
    detail_fields = ("chain", "metric", "period_type", "year", "month", "value", "note")
    measures = {
        "value": PerRow(
            lambda row: StatisticMetric(row.metric).measure, options=(MONEY, ENTERPRISES, PERCENT)
        )
    }

    class Meta:
        verbose_name = _("chain statistic")
        verbose_name_plural = _("chain statistics")
        ordering = ["chain", "metric", "-year", "-month"]
        constraints = [
            # Two conditional constraints instead of nulls_distinct, which SQLite lacks.
            models.UniqueConstraint(
                fields=["chain", "metric", "period_type", "year"],
                condition=models.Q(month__isnull=True),
                name="chainstatistic_unique_year",
                violation_error_message=_("This chain has this figure for this period already."),
            ),
            models.UniqueConstraint(
                fields=["chain", "metric", "period_type", "year", "month"],
                condition=models.Q(month__isnull=False),
                name="chainstatistic_unique_month",
                violation_error_message=_("This chain has this figure for this period already."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.chain.name} · {self.get_metric_display()} · {self.period}"

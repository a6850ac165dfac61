"""The abstract base every domain record stands on.

``AuditedModel`` gives timestamps, a version for optimistic locking, the sample-data flag and the
source of the record, and a manager whose querysets know ``restrict(user, action)``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.contrib.contenttypes.fields import GenericForeignKey
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from chainboard.tables import reads

# Amounts and counts a person types that cannot be negative (investment, output, tax).
NON_NEGATIVE = [MinValueValidator(Decimal("0"), message=_("Enter a value of zero or more."))]


class ScopedQuerySet(models.QuerySet):
    # Set by ``scope.restrict``: rows of another table as many as this queryset's, and the number of
    # conditions this queryset had then (chainboard/scope.py, ``far_rows``).
    _count_from: tuple[models.QuerySet, int] | None = None

    def restrict(self, user, action: str = "view") -> ScopedQuerySet:
        """Only the rows ``user`` may ``action`` (view, add, change, delete) by role and scope."""
        from chainboard.scope import restrict

        return restrict(self, user, action)

    def count_from(self, rows: models.QuerySet) -> ScopedQuerySet:
        """This queryset, whose :meth:`count` is that of ``rows`` for as long as no condition, grouping,
        ``DISTINCT`` or slice is added: a scope's rows counted off a far table (``scope.far_rows``)."""
        clone = self._chain()
        clone._count_from = (rows, len(self.query.where.children))
        return clone

    def _clone(self):
        clone = super()._clone()
        clone._count_from = self._count_from
        return clone

    def counted(self) -> models.QuerySet:
        """The queryset whose rows :meth:`count` counts: the far table's rows (``count_from``) while they
        still stand one for one for this queryset's, else this queryset itself. The desk's strip counts
        it in a scalar subquery (chainboard/desk.py, ``counts_for``)."""
        if self._count_from is not None:
            rows, conditions = self._count_from
            query = self.query
            if (
                len(query.where.children) == conditions
                and not query.is_sliced
                and not query.distinct
                and query.combinator is None
                and query.group_by is None
                and not query.is_empty()
            ):
                return rows
        return self

    def count(self) -> int:
        if self._result_cache is None:
            rows = self.counted()
            if rows is not self:
                return rows.count()
        return super().count()


class ScopedManager(models.Manager.from_queryset(ScopedQuerySet)):
    """The manager of scoped models: ``Model.objects.restrict(user, action)`` builds the scope's
    conditions once per set of grants (``scope.restrict_all``); a queryset's own ``restrict`` builds them
    each time, as its other conditions may change them."""

    def restrict(self, user, action: str = "view") -> ScopedQuerySet:
        from chainboard.scope import restrict_all

        return restrict_all(self, user, action)


class AuditedModel(models.Model):
    """Timestamped, versioned, audited and scoped.

    Subclasses declare ``scope_paths``: for each scope dimension they have ("chain", "region",
    "enterprise") the ORM path from the model to the chain id, the region path or the enterprise id.
    A dimension a model does not declare does not restrict it (see ``chainboard.scope``).
    """

    created_at = models.DateTimeField(
        verbose_name=_("created"),
        auto_now_add=True,
    )
    updated_at = models.DateTimeField(
        verbose_name=_("updated"),
        auto_now=True,
    )
    version = models.PositiveIntegerField(
        verbose_name=_("version"),
        default=1,
        editable=False,
    )
    is_sample = models.BooleanField(
        verbose_name=_("sample data"),
        default=False,
        db_index=True,
        help_text=_("Invented to make the demo alive; not taken from a source document."),
    )
    source = models.CharField(
        verbose_name=_("source"),
        max_length=200,
        blank=True,
        help_text=_("Where this record comes from, e.g. a document and its section."),
    )

    objects = ScopedManager()

    scope_paths: ClassVar[dict[str, str]] = {}
    # Actions beyond view/add/change/delete that roles may be granted on this model (chainboard/scope.py).
    named_actions: ClassVar[tuple[str, ...]] = ()
    audit_exclude: ClassVar[tuple[str, ...]] = ("created_at", "updated_at")
    # Fields shown on the detail page in this order; empty means every editable field.
    detail_fields: ClassVar[tuple[str, ...]] = ()

    class Meta:
        abstract = True

    @reads("source")  # an export computes it from the value alone
    def get_source_display(self) -> str:
        """The source in the reader's language (chainboard/sources.py); tables, detail pages and
        exports read it, as they read a choice field's label."""
        from chainboard.sources import display

        return display(self.source)

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        meta = self._meta
        return reverse(f"{meta.app_label}:{meta.model_name}_detail", kwargs={"pk": self.pk})


class AttachedToRecord(AuditedModel):
    """Hangs on any record, whatever its kind (journal entries, attachments, instructions): read by whoever
    may view that record, through the record's own page and API."""

    content_type = models.ForeignKey(
        "contenttypes.ContentType",
        verbose_name=_("kind of record"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    object_id = models.CharField(
        verbose_name=_("record id"),
        max_length=64,
    )
    target = GenericForeignKey("content_type", "object_id")

    class Meta:
        abstract = True

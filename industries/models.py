from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chainboard.models import ScopedManager


class IndustryLevel(models.IntegerChoices):
    SECTION = 1, _("section")
    DIVISION = 2, _("division")
    # A context: Django's own "group" (an auth group, 用户组) must not read 中类.
    GROUP = 3, pgettext_lazy("industry level", "group")
    CLASS = 4, _("class")


class IndustryClass(models.Model):
    """A GB/T 4754-2017 category (with amendment No. 1 of 2019), e.g. C1741 缫丝加工."""

    code = models.CharField(
        verbose_name=_("industry code"),
        max_length=8,
        primary_key=True,
    )
    name = models.CharField(
        verbose_name=_("name"),
        max_length=100,
    )
    level = models.PositiveSmallIntegerField(
        verbose_name=_("level"),
        choices=IndustryLevel.choices,
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("industry class")
        verbose_name_plural = _("industry classes")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("industries:industryclass_detail", kwargs={"pk": self.pk})

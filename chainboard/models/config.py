from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import AuditedModel


class CityConfig(AuditedModel):
    """The city this deployment serves, written by ``chainboard setup``. One row."""

    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("city"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(
        verbose_name=_("name"),
        max_length=100,
    )

    class Meta:
        verbose_name = _("city configuration")
        verbose_name_plural = _("city configuration")

    def __str__(self) -> str:
        return self.name


def city_path() -> str:
    config = CityConfig.objects.select_related("region").first()
    return config.region.path if config else ""

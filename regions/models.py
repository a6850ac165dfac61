from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chainboard.models import ScopedManager


class RegionLevel(models.IntegerChoices):
    PROVINCE = 1, _("province")
    CITY = 2, _("city")
    COUNTY = 3, _("county")
    TOWN = 4, _("town")


def location_label(name: str, level: int | None) -> str:
    """Where something is located, for display: a record located at a city stands for "county unknown"
    (rules.md: unknown stays unknown and is shown as such), so it reads 晋城市（县区未知）. The one
    function every list, detail and export uses for an enterprise's region (docs/formatting.md)."""
    if level == RegionLevel.CITY:
        return _("%(city)s (county unknown)") % {"city": name}
    return name


class Region(models.Model):
    """A GB/T 2260 division (towns: the 9-digit NBS code). Reference data, loaded by ``load_regions``."""

    code = models.CharField(
        verbose_name=_("division code"),
        max_length=12,
        primary_key=True,
    )
    name = models.CharField(
        verbose_name=_("name"),
        max_length=64,
        db_index=True,
    )
    level = models.PositiveSmallIntegerField(
        verbose_name=_("level"),
        choices=RegionLevel.choices,
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    # The significant prefix of the code ("14", "1405", "140581", "140581101"): a subtree is a prefix
    # match, which an index answers (scope.restrict filters with path__startswith).
    path = models.CharField(
        verbose_name=_("path"),
        max_length=12,
        unique=True,
    )
    full_name = models.CharField(
        verbose_name=pgettext_lazy("region", "full name"),
        max_length=200,
        blank=True,
    )

    objects = ScopedManager()
    # A code starts with its path, and no code outside the subtree does: a subtree is a range of the code
    # itself, so a scope or filter on ``region__path`` reads the referring row's own column (scope._by_key).
    key_starts_with = "path"
    # Imports resolve region columns by code and by name as offices write them (泽州, 晋城市城区).
    import_lookup = "chainboard.imports.regions.RegionLookup"

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("regions:region_detail", kwargs={"pk": self.pk})

    @staticmethod
    def path_for(code: str) -> str:
        """The significant prefix of a GB/T 2260 code: 140000→14, 140500→1405, 140581→140581."""
        if len(code) > 6:
            return code
        if code.endswith("0000"):
            return code[:2]
        if code.endswith("00"):
            return code[:4]
        return code

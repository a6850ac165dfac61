from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chainboard.models import AuditedModel


class OrganisationKind(models.TextChoices):
    CITY_BUREAU = "city_bureau", _("city bureau")
    COUNTY_GOVERNMENT = "county_government", _("county government")
    TOWN_TASK_FORCE = "town_task_force", _("town task force")
    LEADING_GROUP = "leading_group", _("leading group")
    COLLEGE = "college", _("college")
    ASSOCIATION = "association", _("association")
    THINK_TANK = "think_tank", _("think tank")
    OTHER = "other", _("other")


class Organisation(AuditedModel):
    """A government unit, college, association or other body the work involves."""

    name = models.CharField(
        verbose_name=_("name"),
        max_length=200,
        unique=True,
    )
    short_name = models.CharField(
        verbose_name=_("short name"),
        max_length=50,
        blank=True,
    )
    kind = models.CharField(
        verbose_name=_("kind"),
        max_length=32,
        choices=OrganisationKind.choices,
    )
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="units",
    )
    description = models.TextField(
        verbose_name=_("description"),
        blank=True,
    )

    detail_fields = ("name", "short_name", "kind", "region", "parent", "description")

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Person(AuditedModel):
    """Someone in an organisation: a handler, a contact. The demo names roles, not real people."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="people",
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
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
    )

    detail_fields = ("name", "title", "organisation", "phone", "email", "user")

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["organisation__name", "name"]

    def __str__(self) -> str:
        return self.name

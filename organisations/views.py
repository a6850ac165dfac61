from django import forms as django_forms
from django.utils.translation import gettext_lazy as _

from chainboard.filters import ScopedFilterSet
from chainboard.forms import LookupChoiceField, ScopedModelForm
from chainboard.tables import Column, Table
from chainboard.views.generic import ViewSet
from regions.models import Region

from .models import Organisation, Person


class OrganisationForm(ScopedModelForm):
    region = LookupChoiceField(
        Region.objects.all(), "regions:region_lookup", required=False, label=_("region")
    )

    class Meta:
        model = Organisation
        fields = ["name", "short_name", "kind", "region", "parent", "description", "source"]


class OrganisationFilterSet(ScopedFilterSet):
    search_fields = ("name", "short_name")

    class Meta:
        model = Organisation
        fields = ["kind", "is_sample"]


class OrganisationViewSet(ViewSet):
    model = Organisation
    url_prefix = "organisations"
    menu_group = "organisations"
    menu_label = _("Organisations")
    menu_order = 10
    icon = "building"
    form_class = OrganisationForm
    filterset_class = OrganisationFilterSet
    facets = (("kind", "kind"),)
    table = Table(
        columns=[
            Column("name", order_by="name", link=True),
            Column("kind", order_by="kind"),
            Column("region.name", label=_("region"), order_by="region__code"),
            Column("parent.name", label=_("parent unit")),
        ],
        select_related=("region", "parent"),
        default_order=("name",),
    )
    detail_related = [
        (
            _("People"),
            "people",
            Table(
                columns=[Column("name", link=True), Column("title"), Column("phone")], default_order=("name",)
            ),
        ),
        (
            _("Units"),
            "units",
            Table(columns=[Column("name", link=True), Column("kind")], default_order=("name",)),
        ),
    ]


class PersonForm(ScopedModelForm):
    class Meta:
        model = Person
        fields = ["organisation", "name", "title", "phone", "email", "user", "source"]
        widgets = {"email": django_forms.EmailInput()}


class PersonFilterSet(ScopedFilterSet):
    search_fields = ("name", "title")

    class Meta:
        model = Person
        fields = ["organisation"]


class PersonViewSet(ViewSet):
    model = Person
    url_prefix = "people"
    menu_group = "organisations"
    menu_order = 20
    icon = "users"
    form_class = PersonForm
    filterset_class = PersonFilterSet
    facets = (("organisation", "organisation"),)
    table = Table(
        columns=[
            Column("name", order_by="name", link=True),
            Column("title", order_by="title"),
            Column("organisation.name", label=_("organisation"), order_by="organisation__name"),
            Column("phone"),
        ],
        select_related=("organisation",),
        default_order=("organisation__name", "name"),
    )

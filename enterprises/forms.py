from django import forms
from django.utils.translation import gettext_lazy as _

from chainboard import audit, scope
from chainboard.forms import LookupChoiceField, ScopedModelForm
from chainboard.models.audit import AuditAction
from industries.models import IndustryClass
from regions.models import Region

from .models import AboveSizeStatus, Contact, Enterprise, Indicator, Membership, Product, validate_uscc
from .uscc import normalise


class EnterpriseForm(ScopedModelForm):
    region = LookupChoiceField(
        Region.objects.all(),
        "regions:region_lookup",
        label=_("region"),
        help_text=_("The county or town; the city when the county is unknown."),
        error_messages={"invalid_choice": _("Unknown region code %(value)s.")},
    )
    industry_class = LookupChoiceField(
        IndustryClass.objects.all(),
        "industries:industryclass_lookup",
        required=False,
        label=_("industry class"),
        error_messages={"invalid_choice": _("Unknown industry code %(value)s.")},
    )

    uscc = forms.CharField(
        label=_("unified social credit code"),
        max_length=40,  # spaces and dashes typed by hand are removed before the 18-character check
        required=False,
    )

    class Meta:
        model = Enterprise
        fields = [
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
            "source",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Joining a chain is a membership: only those who may add memberships choose chains here.
        if not scope.has_permission(self.user, "add", Membership):
            del self.fields["chains"]
        self.fields["segments"].queryset = self.fields["segments"].queryset.select_related("chain")

    def clean_uscc(self):
        value = normalise(self.cleaned_data.get("uscc") or "").replace("-", "")
        if not value:
            return None
        validate_uscc(value)
        return value

    def clean(self):
        data = super().clean()
        chains = data.get("chains")
        segments = data.get("segments")
        if chains is not None and segments:
            outside = [s for s in segments if s.chain not in chains and not self._already_member(s.chain_id)]
            if outside:
                self.add_error(
                    "segments",
                    _("%(segment)s belongs to a chain this enterprise is not on.") % {"segment": outside[0]},
                )
        return data

    def _save_m2m(self):
        # Memberships are records of their own: each one joined or left here gets its own audit row
        # (with the enterprise as parent), instead of vanishing into a many-to-many set().
        chains = self.cleaned_data.pop("chains", None) if "chains" in self.fields else None
        super()._save_m2m()
        if chains is None:
            return
        enterprise = self.instance
        wanted = {c.pk for c in chains}
        current = {m.chain_id: m for m in enterprise.memberships.all()}
        for chain_id in wanted - current.keys():
            membership = Membership.objects.create(enterprise=enterprise, chain_id=chain_id)
            audit.record(AuditAction.CREATE, membership, after=audit.snapshot(membership), parent=enterprise)
        for chain_id in current.keys() - wanted:
            membership = current[chain_id]
            audit.record(AuditAction.DELETE, membership, before=audit.snapshot(membership), parent=enterprise)
            membership.delete()

    def _already_member(self, chain_id) -> bool:
        return (
            bool(self.instance.pk)
            and "chains" not in self.fields
            and self.instance.memberships.filter(chain_id=chain_id).exists()
        )


class MembershipForm(ScopedModelForm):
    class Meta:
        model = Membership
        fields = ["enterprise", "chain", "role", "note", "source"]


class ProductForm(ScopedModelForm):
    class Meta:
        model = Product
        fields = ["enterprise", "name", "brand", "applications", "description", "source"]


class ContactForm(ScopedModelForm):
    class Meta:
        model = Contact
        fields = ["enterprise", "name", "title", "phone", "email", "source"]
        widgets = {"email": forms.EmailInput()}


class AboveSizeStatusForm(ScopedModelForm):
    class Meta:
        model = AboveSizeStatus
        fields = ["enterprise", "year", "is_above_size", "source"]


class IndicatorForm(ScopedModelForm):
    class Meta:
        model = Indicator
        fields = [
            "enterprise",
            "period_type",
            "year",
            "month",
            "output_value",
            "revenue",
            "tax",
            "employees",
            "electricity",
            "source",
        ]

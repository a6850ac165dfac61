from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from chainboard.filters import ScopedFilterSet
from chainboard.forms import LookupChoiceField, ScopedModelForm
from chainboard.tables import Column, Table
from chainboard.views.generic import ViewSet
from regions.models import Region

from .models import Grant, User


class UserForm(ScopedModelForm):
    new_password = forms.CharField(
        label=_("new password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
    )

    class Meta:
        model = User
        fields = ["username", "full_name", "organisation", "email", "is_active", "must_change_password"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password"].help_text = gettext(
            "Leave empty to keep the current password. At least %(min_length)d characters, three of: "
            "lower-case letters, capitals, digits, symbols; none of the user's last %(history)d."
        ) % {"min_length": settings.PASSWORD_MIN_LENGTH, "history": settings.PASSWORD_HISTORY}
        if self.instance.pk is None:
            # A user the administrator creates chooses their own password at first log-in (等保 2.0).
            self.fields["must_change_password"].initial = True

    @property
    def changed_data(self) -> list[str]:
        # A new password is saved through the model's own fields: the update writes only changed fields.
        changed = list(super().changed_data)
        if "new_password" in changed:
            changed += ["password", "password_changed_at"]
        return changed

    def clean_new_password(self):
        password = self.cleaned_data.get("new_password")
        if password:
            validate_password(password, self.instance)
        elif self.instance.pk is None:
            raise forms.ValidationError(_("A new user needs a password."))
        return password

    def save(self, commit=True):
        user = super().save(commit=False)
        if self.cleaned_data.get("new_password"):
            user.set_password(self.cleaned_data["new_password"])
        if commit:
            user.save()
        return user


class UserFilterSet(ScopedFilterSet):
    search_fields = ("username", "full_name")

    class Meta:
        model = User
        fields = ["organisation", "is_active"]


class UserViewSet(ViewSet):
    model = User
    url_prefix = "users"
    menu_group = "system"
    menu_order = 20
    icon = "user-cog"
    form_class = UserForm
    filterset_class = UserFilterSet
    facets = (("is_active", "is_active"),)
    table = Table(
        columns=[
            Column("username", order_by="username", link=True),
            Column("full_name", order_by="full_name"),
            Column("organisation.name", label=_("organisation")),
            Column("is_active"),
            Column("last_login", order_by="last_login"),
        ],
        select_related=("organisation",),
        default_order=("username",),
    )
    detail_related = [
        (
            _("Grants"),
            "grants",
            Table(
                columns=[
                    Column("role", link=True),
                    Column("chain"),
                    Column("region"),
                    Column("enterprise"),
                    Column("organisation"),
                ],
                select_related=("chain", "region", "enterprise", "organisation"),
                default_order=("role",),
            ),
        ),
    ]


class GrantForm(ScopedModelForm):
    region = LookupChoiceField(
        Region.objects.all(), "regions:region_lookup", required=False, label=_("region")
    )

    class Meta:
        model = Grant
        fields = ["user", "role", "chain", "region", "enterprise", "organisation"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The handling unit of a unit grant: its choices are the organisations the administrator may
        # view (ScopedModelForm restricts them), as any relation field's are.
        # The administrator sees no business data, but must be able to name a chain or an enterprise.
        from chains.models import Chain
        from enterprises.models import Enterprise

        self.fields["chain"].queryset = Chain.objects.all()
        self.fields["enterprise"].queryset = Enterprise.objects.all()


class GrantFilterSet(ScopedFilterSet):
    search_fields = ("user__username", "user__full_name")
    in_global_search = False

    class Meta:
        model = Grant
        fields = ["role", "user"]


class GrantViewSet(ViewSet):
    model = Grant
    url_prefix = "grants"
    menu_group = "system"
    menu_order = 30
    icon = "key"
    form_class = GrantForm
    filterset_class = GrantFilterSet
    facets = (("role", "role"),)
    table = Table(
        columns=[
            Column("user", link=True, order_by="user__username"),
            Column("role", order_by="role"),
            Column("chain"),
            Column("region"),
            Column("enterprise"),
            Column("organisation"),
        ],
        select_related=("user", "chain", "region", "enterprise", "organisation"),
        default_order=("user__username", "role"),
    )

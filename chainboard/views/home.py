from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from chainboard import scope

# (label, model, list URL name, icon): counts on the overview, each through restrict().
WIDGETS = [
    (_("Chains"), "chains.Chain", "chains:chain_list", "link"),
    (_("Segments"), "chains.Segment", "chains:segment_list", "git-branch"),
    (_("Enterprises"), "enterprises.Enterprise", "enterprises:enterprise_list", "building-store"),
    (_("Organisations"), "organisations.Organisation", "organisations:organisation_list", "building"),
    (_("Users"), "accounts.User", "accounts:user_list", "user-cog"),
    (_("Audit entries"), "chainboard.AuditEntry", "audit:auditentry_list", "shield-check"),
]


@login_required
def home(request):
    widgets = []
    sample = False
    for label, model_label, url_name, icon in WIDGETS:
        model = apps.get_model(model_label)
        if not scope.has_permission(request.user, "view", model):
            continue
        qs = model.objects.restrict(request.user, "view")
        widgets.append(
            {
                "label": label,
                "value": qs.count(),
                "url": reverse(url_name),
                "icon": icon,
                # A count over the user's scope says which part it covers (高平市); docs/formatting.md.
                "scope": scope.describe(request.user, model),
            }
        )
        if hasattr(model, "is_sample") and qs.filter(is_sample=True).exists():
            sample = True
    return render(request, "chainboard/home.html", {"widgets": widgets, "sample_note": sample})

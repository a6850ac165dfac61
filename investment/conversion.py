"""A lead becomes a key project in one action (转化为重点项目, docs/investment.md, Conversion).

``convert`` creates the project at 签约 from what the lead knows (chain, segment, planned investment as
the total, landing region, the owner enterprise when the lead's USCC or name finds one), and moves the
lead to 签约 with the project linked, in one transaction and one audit operation. Only a lead at 洽谈 and
not converted yet can be; anything else is refused with the reason. The person needs ``convert`` on the
lead, not the right to add projects: the project is created by the system on their behalf, and the audit
rows name them.

Afterwards the lead follows its project (investment/signals.py): 落地 when the project reaches 开工, with
the project's start date; 投产 when it goes into production.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _

from chainboard import actions, audit, scope
from chainboard.scope import SystemActor
from chainboard.views.generic import DetailActionView, stale_form_message, submitted_version

from .models import Lead, LeadStage

OPERATION = "investment:convert"


class ConvertRefused(actions.ActionError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def refusal(lead: Lead) -> str | None:
    """Why ``lead`` cannot be converted now, or None."""
    if lead.project_id is not None:
        return _("This lead was converted already: its project is %(project)s.") % {"project": lead.project}
    if lead.stage != LeadStage.NEGOTIATING:
        return _("Only a lead in negotiation can be converted; this one is at %(stage)s.") % {
            "stage": lead.get_stage_display()
        }
    if lead.landing_region_id is None and lead.chain.region_id is None:
        return _("Give the lead's landing region first: the project is built there.")
    return None


def find_owner(lead: Lead):
    """The enterprise the lead's USCC names, or the one enterprise of its exact name; else None (the
    project's owner is then unknown, as the projects' rules allow)."""
    from enterprises.models import Enterprise

    if lead.uscc:
        found = Enterprise._base_manager.filter(uscc=lead.uscc).first()
        if found is not None:
            return found
    by_name = list(Enterprise._base_manager.filter(name=lead.company_name)[:2])
    return by_name[0] if len(by_name) == 1 else None


def project_from(lead: Lead):
    from projects.models import Project, ProjectKind, ProjectStage

    return Project(
        name=lead.company_name,
        owner=find_owner(lead),
        chain=lead.chain,
        segment=lead.segment,
        region=lead.landing_region or lead.chain.region,
        kind=ProjectKind.NEW,
        stage=ProjectStage.SIGNED,
        total_investment=lead.planned_investment,
        is_sample=lead.is_sample,
        source=lead.source,
    )


def convert(user, lead: Lead, *, version: int | None = None, comment: str = ""):
    """Convert ``lead`` into a key project at 签约 and move it to 签约, linked both ways; the project.

    PermissionDenied without ``convert`` on the lead; ConvertRefused (nothing changed) when the lead is
    not at 洽谈 or was converted; Conflict when ``version`` is not the lead's."""
    if not scope.can(user, "convert", lead):
        raise PermissionDenied(_("You may not convert this lead."))
    system = SystemActor(OPERATION)
    current = audit.current_operation()
    person = user if isinstance(user, models.Model) else current.user
    with audit.operation(user=person, source=current.source, label=current.label), transaction.atomic():
        # Locked alone: PostgreSQL does not lock the nullable side of an outer join (the project).
        locked = Lead._base_manager.select_for_update().get(pk=lead.pk)
        reason = refusal(locked)
        if reason is not None:
            raise ConvertRefused(reason)
        project = actions.create_direct(system, project_from(locked), parent=locked)
        actions.transition(
            system,
            locked,
            "sign",
            comment=comment or _("Converted to the key project %(project)s.") % {"project": project},
            data={"project": project.pk},
            version=version,  # a stale one raises the Conflict, and the project is rolled back with it
        )
    return project


class ConvertView(DetailActionView):
    """The lead's "convert to a project" page: what the project will be, and the button."""

    action = "convert"
    template = "investment/convert.html"

    def page(self, lead, *, reason: str = "", conflict: bool = False, status: int = 200):
        ctx = self.context(
            object=lead,
            refusal=reason,
            conflict=conflict,
            project=project_from(lead) if not reason else None,
        )
        return render(self.request, self.template, ctx, status=status)

    def get(self, request, pk):
        lead = self.get_object()
        reason = refusal(lead)
        return self.page(lead, reason=reason or "", status=409 if reason else 200)

    def post(self, request, pk):
        lead = self.get_object()
        version = submitted_version(request)
        if version is None:
            messages.error(request, stale_form_message())
            return self.page(lead, status=400)
        try:
            project = convert(request.user, lead, version=version)
        except ConvertRefused as exc:
            return self.page(lead, reason=exc.message, status=409)
        except actions.Conflict:
            return self.page(Lead.objects.get(pk=lead.pk), conflict=True, status=409)
        messages.success(
            request,
            _("%(lead)s converted into the key project %(project)s.") % {"lead": lead, "project": project},
        )
        return HttpResponseRedirect(project.get_absolute_url())


def lead_panel(request, lead: Lead) -> dict | None:
    """The lead's page: its project, when converted and the reader may see it."""
    if lead.project_id is None:
        return None
    from projects.models import Project

    project = Project.objects.restrict(request.user, "view").filter(pk=lead.project_id).first()
    return {"project": project, "lead": lead}


def project_panel(request, project) -> dict | None:
    """The project's page: the lead it came from, when the reader may see it (investment/apps.py adds
    this panel to the projects' ViewSet)."""
    lead = Lead.objects.restrict(request.user, "view").filter(project=project).first()
    if lead is None:
        return None
    return {"lead": lead, "project": project}

"""A converted lead follows its project (docs/investment.md, Conversion): when the project reaches 开工
the lead moves to 落地, dated with the project's start date; when it goes into production, to 投产. The
moves are made by the system inside the project's own move (its transaction and audit operation), so
the stage is never typed twice. Connected in ``InvestmentConfig.ready``."""

from __future__ import annotations

from chainboard.scope import SystemActor
from chainboard.workflow import transitioned

OPERATION = "investment:follow-project"


def project_moved(sender, instance, move, from_state, to_state, user, **kwargs) -> None:
    from chainboard import actions
    from projects.models import LANDED_STAGES, ProjectStage

    from .models import Lead, LeadStage

    lead = Lead._base_manager.filter(project=instance).first()
    if lead is None:
        return
    system = SystemActor(OPERATION)
    if to_state in LANDED_STAGES and lead.stage == LeadStage.SIGNED:
        lead = actions.transition(system, lead, "land")
    if to_state == ProjectStage.IN_PRODUCTION and lead.stage in (LeadStage.SIGNED, LeadStage.LANDED):
        actions.transition(system, lead, "produce")


def connect() -> None:
    from projects.models import Project

    transitioned.connect(project_moved, sender=Project, dispatch_uid="investment.follow_project")

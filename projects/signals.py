"""Lights follow their inputs: a project's light is recomputed after the transaction that changed its
stage, its planned start or one of its plans commits (any write path: the forms, the API, the workflow's
moves, a filing). Imports write plans in bulk without these signals; the daily ``recompute_lights`` task
catches them up."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save


def _later(project_id: int) -> None:
    def run() -> None:
        from projects import lights
        from projects.models import Project

        project = Project._base_manager.filter(pk=project_id).first()
        if project is not None:
            lights.refresh(project)

    transaction.on_commit(run)


def project_saved(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        _later(instance.pk)


def plan_changed(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        _later(instance.project_id)


def connect() -> None:
    from projects.models import Project, ProjectPlan

    post_save.connect(project_saved, sender=Project, dispatch_uid="projects.light.project")
    post_save.connect(plan_changed, sender=ProjectPlan, dispatch_uid="projects.light.plan_saved")
    post_delete.connect(plan_changed, sender=ProjectPlan, dispatch_uid="projects.light.plan_deleted")

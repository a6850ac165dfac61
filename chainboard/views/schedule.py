"""Scheduled jobs, for the administrator: each job's last and next run, "run now", switch on or off."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render, resolve_url
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chainboard import scheduler, scope
from chainboard.models import ScheduledJob


def _require(user, action: str) -> None:
    if not scope.has_permission(user, action, ScheduledJob):
        raise PermissionDenied


@login_required
def job_list(request):
    _require(request.user, "view")
    jobs = []
    for job in scheduler.sync().values():  # a handful of rows: no pagination
        registration = scheduler.REGISTRY.get(job.name)
        jobs.append(
            {
                "job": job,
                "label": registration.label if registration else job.name,
                "registered": registration is not None,
                "words": scheduler.describe(job.cron),
                "switched_off": registration is not None and not job.cron,
            }
        )
    context = {"jobs": jobs, "can_change": scope.has_permission(request.user, "change", ScheduledJob)}
    return render(request, "chainboard/schedule/list.html", context)


@login_required
@require_POST
def job_run(request, pk: int):
    _require(request.user, "change")
    job = get_object_or_404(ScheduledJob, pk=pk)
    try:
        scheduler.run_now(request.user, job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(job)s was queued for the task worker.") % {"job": job})
    return HttpResponseRedirect(resolve_url("schedule:scheduledjob_list"))


@login_required
@require_POST
def job_enable(request, pk: int):
    _require(request.user, "change")
    job = get_object_or_404(ScheduledJob, pk=pk)
    enabled = request.POST.get("enabled") == "1"
    if job.enabled != enabled:  # a second click on a stale page changes nothing, and audits nothing
        scheduler.set_enabled(request.user, job, enabled)
    message = _("%(job)s is switched on.") if enabled else _("%(job)s is switched off.")
    messages.success(request, message % {"job": job})
    return HttpResponseRedirect(resolve_url("schedule:scheduledjob_list"))

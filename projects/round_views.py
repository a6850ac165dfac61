"""The pages of scheduling rounds beyond the generic ones: open a round, file a report (phone-sized),
remind those who have not filed, close the round, and the user's own reports to file."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views import View

from chainboard import actions, scope
from chainboard.views.generic import DetailActionView, submitted_version

from . import rounds
from .forms import OpenRoundForm, ProgressReportForm
from .models import ProgressReport, SchedulingRound


class OpenRoundView(LoginRequiredMixin, View):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not scope.has_permission(request.user, "add", SchedulingRound):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        from django.utils import timezone

        today = timezone.localdate()
        form = OpenRoundForm(user=request.user, initial={"year": today.year, "month": today.month})
        return render(request, "projects/round_open.html", {"form": form})

    def post(self, request):
        form = OpenRoundForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                round_ = rounds.open_round(
                    request.user, data["chain"], data["year"], data["month"], data["due_on"]
                )
            except actions.InvalidData as exc:
                for messages_ in exc.errors.values():
                    for message in messages_:
                        form.add_error(None, message)
            else:
                messages.success(request, _("%(name)s opened.") % {"name": round_})
                return HttpResponseRedirect(round_.get_absolute_url())
        return render(request, "projects/round_open.html", {"form": form}, status=400)


class RoundActionView(LoginRequiredMixin, View):
    """POST only: remind or close, by whoever may change the round (the office)."""

    action = ""

    def post(self, request, pk):
        round_ = get_object_or_404(SchedulingRound.objects.restrict(request.user, "view"), pk=pk)
        if self.action == "remind":
            count = rounds.remind(request.user, round_)
            messages.success(request, _("%(count)s people reminded.") % {"count": count})
        else:
            rounds.close(request.user, round_, version=submitted_version(request))
            messages.success(
                request, _("%(name)s closed: its figures are frozen as filed.") % {"name": round_}
            )
        return HttpResponseRedirect(round_.get_absolute_url())


class FileProgressView(LoginRequiredMixin, View):
    """The responsible user files the month's progress of one project: a small form that works on a phone."""

    def get_report(self, request, pk) -> ProgressReport:
        report = get_object_or_404(
            ProgressReport.objects.restrict(request.user, "view").select_related(
                "round", "round__chain", "project"
            ),
            pk=pk,
        )
        if not rounds.may_file(request.user, report):
            raise PermissionDenied
        return report

    def page(self, request, report, form, status=200):
        return render(request, "projects/file_progress.html", {"report": report, "form": form}, status=status)

    def get(self, request, pk):
        report = self.get_report(request, pk)
        return self.page(request, report, ProgressReportForm(instance=report, user=request.user))

    def post(self, request, pk):
        report = self.get_report(request, pk)
        try:
            rounds.file_progress(request.user, report, request.POST, version=submitted_version(request))
        except actions.InvalidData as exc:
            return self.page(request, report, exc.form, status=400)
        except actions.Conflict as exc:
            form = ProgressReportForm(request.POST, instance=exc.instance, user=request.user)
            form.add_error(None, _("This record was changed by someone else while you were editing it."))
            return self.page(request, exc.instance, form, status=409)
        messages.success(request, _("Progress of %(name)s filed.") % {"name": report.project})
        return HttpResponseRedirect(reverse("projects:my_progress"))


class MyProgressView(LoginRequiredMixin, View):
    """What the user has to file in open rounds (with any reminder): the in-app notice of a round."""

    def get(self, request):
        return render(
            request, "projects/my_progress.html", {"pending": list(rounds.pending_for(request.user))}
        )


def urls() -> list:
    return [
        path("scheduling_rounds/open/", OpenRoundView.as_view(), name="schedulinground_open"),
        path(
            "scheduling_rounds/<id:pk>/remind/",
            RoundActionView.as_view(action="remind"),
            name="schedulinground_remind",
        ),
        path(
            "scheduling_rounds/<id:pk>/close/",
            RoundActionView.as_view(action="close"),
            name="schedulinground_close",
        ),
        path("progress_reports/<id:pk>/file/", FileProgressView.as_view(), name="progressreport_file"),
        path("progress/mine/", MyProgressView.as_view(), name="my_progress"),
    ]


class ProjectFileProgressView(DetailActionView):
    """The project page's "File progress" button: to the project's report in its chain's open round (made
    if the project joined the chain after the round opened), or back with a word when none is open."""

    action = "file_progress"

    def get(self, request, pk):
        from .rounds_models import RoundStatus

        project = self.get_object()
        round_ = (
            SchedulingRound.objects.filter(chain_id=project.chain_id, status=RoundStatus.OPEN)
            .order_by("-year", "-month")
            .first()
        )
        if round_ is None:
            messages.info(request, _("No scheduling round is open for this project's chain."))
            return HttpResponseRedirect(project.get_absolute_url())
        report = rounds.report_for(round_, project)
        return HttpResponseRedirect(reverse("projects:progressreport_file", kwargs={"pk": report.pk}))

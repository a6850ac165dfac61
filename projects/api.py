from chainboard.api import register

from .views import (
    MilestoneViewSet,
    ProgressReportViewSet,
    ProjectPlanViewSet,
    ProjectViewSet,
    SchedulingRoundViewSet,
)

for viewset in (
    ProjectViewSet,
    ProjectPlanViewSet,
    MilestoneViewSet,
    SchedulingRoundViewSet,
    ProgressReportViewSet,
):
    register(viewset)

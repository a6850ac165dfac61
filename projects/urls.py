from . import round_views
from .views import (
    MilestoneViewSet,
    ProgressReportViewSet,
    ProjectPlanViewSet,
    ProjectViewSet,
    SchedulingRoundViewSet,
)

app_name = "projects"
urlpatterns = [
    *round_views.urls(),  # before the generic routes: scheduling_rounds/open/ is a page, not a record
    *ProjectViewSet.urls(),
    *ProjectPlanViewSet.urls(),
    *MilestoneViewSet.urls(),
    *SchedulingRoundViewSet.urls(),
    *ProgressReportViewSet.urls(),
]

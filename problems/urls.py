from . import raising, stats_views
from .views import MeetingRecordViewSet, ProblemKindViewSet, ProblemViewSet, ProgressNoteViewSet, TaskViewSet

app_name = "problems"
urlpatterns = [
    *raising.urls(),  # before the generic routes: problems/raise/ is a page, not a record
    *stats_views.urls(),  # problems/statistics/ likewise
    *ProblemViewSet.urls(),
    *TaskViewSet.urls(),
    *MeetingRecordViewSet.urls(),
    *ProgressNoteViewSet.urls(),
    *ProblemKindViewSet.urls(),
]

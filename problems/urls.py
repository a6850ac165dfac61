from . import raising
from .views import MeetingRecordViewSet, ProblemKindViewSet, ProblemViewSet, ProgressNoteViewSet, TaskViewSet

app_name = "problems"
urlpatterns = [
    *raising.urls(),  # before the generic routes: problems/raise/ is a page, not a record
    *ProblemViewSet.urls(),
    *TaskViewSet.urls(),
    *MeetingRecordViewSet.urls(),
    *ProgressNoteViewSet.urls(),
    *ProblemKindViewSet.urls(),
]

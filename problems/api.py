from chainboard.api import register

from .views import MeetingRecordViewSet, ProblemKindViewSet, ProblemViewSet, ProgressNoteViewSet, TaskViewSet

for viewset in (ProblemViewSet, TaskViewSet, MeetingRecordViewSet, ProgressNoteViewSet, ProblemKindViewSet):
    register(viewset)

from . import stats_api  # noqa: E402, F401  (registers /problem_statistics/)

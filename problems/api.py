from chainboard.api import register

from .views import MeetingRecordViewSet, ProblemKindViewSet, ProblemViewSet, ProgressNoteViewSet, TaskViewSet

for viewset in (ProblemViewSet, TaskViewSet, MeetingRecordViewSet, ProgressNoteViewSet, ProblemKindViewSet):
    register(viewset)

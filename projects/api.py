from chainboard.api import register

from .views import MilestoneViewSet, ProjectPlanViewSet, ProjectViewSet

for viewset in (ProjectViewSet, ProjectPlanViewSet, MilestoneViewSet):
    register(viewset)

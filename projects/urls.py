from .views import MilestoneViewSet, ProjectPlanViewSet, ProjectViewSet

app_name = "projects"
urlpatterns = [*ProjectViewSet.urls(), *ProjectPlanViewSet.urls(), *MilestoneViewSet.urls()]

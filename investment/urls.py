from . import funnel_views
from .views import (
    EventViewSet,
    FollowUpViewSet,
    LeadContactViewSet,
    LeadViewSet,
    MacroRegionViewSet,
    TargetViewSet,
    TeamMemberViewSet,
    TeamViewSet,
    VisitViewSet,
)

VIEWSETS = (
    LeadViewSet,
    LeadContactViewSet,
    TeamViewSet,
    TeamMemberViewSet,
    TargetViewSet,
    EventViewSet,
    VisitViewSet,
    FollowUpViewSet,
    MacroRegionViewSet,
)

app_name = "investment"
urlpatterns = [*funnel_views.urls(), *(url for viewset in VIEWSETS for url in viewset.urls())]

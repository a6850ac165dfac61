from django.urls import path

from . import login_views
from .views import GrantViewSet, UserViewSet

app_name = "accounts"
urlpatterns = [
    *UserViewSet.urls(),
    *GrantViewSet.urls(),
    path("lockouts/", login_views.lockouts, name="lockout_list"),
    path("lockouts/unlock/", login_views.unlock, name="lockout_unlock"),
]

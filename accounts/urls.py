from .views import GrantViewSet, UserViewSet

app_name = "accounts"
urlpatterns = [*UserViewSet.urls(), *GrantViewSet.urls()]

from .views import OrganisationViewSet, PersonViewSet

app_name = "organisations"
urlpatterns = [*OrganisationViewSet.urls(), *PersonViewSet.urls()]

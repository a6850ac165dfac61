from django.urls import path

from .views import RegionViewSet, region_lookup

app_name = "regions"
urlpatterns = [
    path("regions/lookup/", region_lookup, name="region_lookup"),
    *RegionViewSet.urls(),
]

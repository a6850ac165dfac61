from django.urls import path

from .views import IndustryClassViewSet, industry_lookup

app_name = "industries"
urlpatterns = [
    path("industry_classes/lookup/", industry_lookup, name="industryclass_lookup"),
    *IndustryClassViewSet.urls(),
]

from django.urls import path

from .views import (
    AboveSizeStatusViewSet,
    ContactViewSet,
    EnterpriseViewSet,
    IndicatorViewSet,
    MembershipViewSet,
    ProductViewSet,
    enterprise_lookup,
)

app_name = "enterprises"
urlpatterns = [
    path("enterprises/lookup/", enterprise_lookup, name="enterprise_lookup"),
    *EnterpriseViewSet.urls(),
    *MembershipViewSet.urls(),
    *ProductViewSet.urls(),
    *ContactViewSet.urls(),
    *AboveSizeStatusViewSet.urls(),
    *IndicatorViewSet.urls(),
]

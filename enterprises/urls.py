from .views import (
    AboveSizeStatusViewSet,
    ContactViewSet,
    EnterpriseViewSet,
    IndicatorViewSet,
    MembershipViewSet,
    ProductViewSet,
)

app_name = "enterprises"
urlpatterns = [
    *EnterpriseViewSet.urls(),
    *MembershipViewSet.urls(),
    *ProductViewSet.urls(),
    *ContactViewSet.urls(),
    *AboveSizeStatusViewSet.urls(),
    *IndicatorViewSet.urls(),
]

from chainboard.api import register

from .views import (
    AboveSizeStatusViewSet,
    ContactViewSet,
    EnterpriseViewSet,
    IndicatorViewSet,
    MembershipViewSet,
    ProductViewSet,
)

for viewset in (
    EnterpriseViewSet,
    MembershipViewSet,
    ProductViewSet,
    ContactViewSet,
    AboveSizeStatusViewSet,
    IndicatorViewSet,
):
    register(viewset)

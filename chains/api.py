from chainboard.api import register

from .views import (
    ChainAttributeViewSet,
    ChainStatisticViewSet,
    ChainViewSet,
    PositionViewSet,
    SegmentLinkViewSet,
    SegmentViewSet,
)

for viewset in (
    ChainViewSet,
    SegmentViewSet,
    SegmentLinkViewSet,
    PositionViewSet,
    ChainAttributeViewSet,
    ChainStatisticViewSet,
):
    register(viewset)

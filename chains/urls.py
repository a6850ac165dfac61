from .views import (
    ChainAttributeViewSet,
    ChainStatisticViewSet,
    ChainViewSet,
    PositionViewSet,
    SegmentLinkViewSet,
    SegmentViewSet,
)

app_name = "chains"
urlpatterns = [
    *ChainViewSet.urls(),
    *SegmentViewSet.urls(),
    *SegmentLinkViewSet.urls(),
    *PositionViewSet.urls(),
    *ChainAttributeViewSet.urls(),
    *ChainStatisticViewSet.urls(),
]

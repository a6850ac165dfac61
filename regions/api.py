from chainboard.api import register

from .views import RegionViewSet

register(RegionViewSet)

from chainboard.api import register

from .views import IndustryClassViewSet

register(IndustryClassViewSet)

from chainboard.api import register

from .views import GrantViewSet, UserViewSet

for viewset in (UserViewSet, GrantViewSet):
    register(viewset)

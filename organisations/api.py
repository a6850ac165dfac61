from chainboard.api import register

from .views import OrganisationViewSet, PersonViewSet

for viewset in (OrganisationViewSet, PersonViewSet):
    register(viewset)

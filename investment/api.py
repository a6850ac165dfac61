from chainboard.api import register

from . import funnel_api  # noqa: F401  (GET /api/v1/lead_funnel)
from .urls import VIEWSETS


def _convert_route() -> None:
    """``POST /api/v1/leads/{pk}/convert``: the conversion (investment/conversion.py); answers the lead
    as converted (its ``project`` is the new project's id). 409 when refused or on a stale version."""
    from django.shortcuts import get_object_or_404
    from ninja import Schema
    from ninja.responses import Status
    from pydantic import ConfigDict, Field

    from chainboard.api import problem, registered

    from .conversion import ConvertRefused, convert
    from .models import Lead
    from .views import LeadViewSet

    Out = registered[Lead][0]

    class ConvertIn(Schema):
        model_config = ConfigDict(extra="forbid")

        version: int = Field(description="The version you read: a newer one in the database is a conflict.")

    @routers[LeadViewSet].post(
        "/{pk}/convert",
        response={200: Out},
        operation_id="convert_leads",
        summary="Convert a lead in negotiation into a key project at 签约 (send the version you read)",
    )
    def convert_lead(request, pk: int, payload: ConvertIn):
        lead = get_object_or_404(Lead.objects.restrict(request.user, "view"), pk=pk)
        try:
            convert(request.user, lead, version=payload.version)
        except ConvertRefused as exc:
            return problem(409, exc.message)
        _out, reader = registered[Lead]
        return Status(200, reader.rows(Lead.objects.filter(pk=pk), request.user)[0])


routers = {viewset: register(viewset) for viewset in VIEWSETS}
_convert_route()

"""An event's outcomes (docs/investment.md, Events): the leads it produced (``Lead.event``), how many of
them signed and their planned investment, beside the figures reported for it when the source gives numbers
without leads. Approximate dates read as the source gives them: 2024年7月, 2024-07-25前, 2024年."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from chainboard import formatting

from .funnel import lead_list_url, may_see_amounts


def approximate_date(value: dt.date | None, precision: str) -> str:
    """A date as precise as it is known: 2024-07-25, 2024年7月, 2024年, 2024-07-25前; unknown: "—"."""
    if value is None or precision in ("", "unknown"):
        return formatting.UNKNOWN
    if precision == "month":
        return _("%(year)s, month %(month)s") % {"year": value.year, "month": value.month}
    if precision == "year":
        return _("%(year)s (year)") % {"year": value.year}
    if precision == "before":
        return _("before %(date)s") % {"date": value.isoformat()}
    return value.isoformat()


def outcomes(user, event) -> dict:
    """Two queries: the event's leads in the user's scope (how many, how many signed), and, for who may
    see confidential figures, the planned investment of those signed."""
    from .models import Lead

    leads = Lead.objects.restrict(user, "view").filter(event=event)
    counted = leads.aggregate(leads=Count("pk"), signed=Count("pk", filter=Q(signed_on__isnull=False)))
    amount = None
    show_amounts = may_see_amounts(user)
    if show_amounts:
        amount = (
            Lead.objects.restrict(user, "view_confidential")
            .filter(event=event, signed_on__isnull=False)
            .aggregate(amount=Sum("planned_investment"))["amount"]
        )
    return {
        "leads": counted["leads"],
        "leads_url": lead_list_url(event=event.pk),
        "signed": counted["signed"],
        "signed_url": lead_list_url(event=event.pk, reached="signed"),
        "amount": amount,
        "amount_hidden": not show_amounts,
        "reported_leads": event.reported_leads,
        "reported_deals": event.reported_deals,
        "reported_amount": event.reported_amount,
        "reported": any(
            v is not None for v in (event.reported_leads, event.reported_deals, event.reported_amount)
        ),
        "when": approximate_date(event.date_value, event.date_precision),
    }


def event_outcomes_panel(request, event) -> dict | None:
    """The event page's panel (a DetailPanel on Event)."""
    return outcomes(request.user, event)

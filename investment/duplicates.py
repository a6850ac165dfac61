"""Two teams chasing one company: a new lead whose USCC equals another lead's, or whose company name is
like another's, is warned about before it is saved (docs/investment.md, Duplicates).

Names are compared by their core: the company name without its legal form (股份有限公司, 有限公司…)
and brackets. The search index (chainboard/search.py) finds the candidates (names containing the core's
first characters), so the check reads a few rows whatever the number of leads; a candidate is similar
when one core holds the other or they share most of their characters in order. An abandoned lead is
nobody's work any more and does not warn.

The warning never shows what the user may not see: a lead in the user's scope is named with its team;
one outside it only said to exist, with whom to ask.
"""

from __future__ import annotations

import difflib
import re

from django.utils.translation import gettext as _

from chainboard import search
from enterprises.uscc import normalise

LEGAL_FORMS = (
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "集团股份有限公司",
    "有限公司",
    "集团公司",
    "股份公司",
    "分公司",
    "公司",
    "集团",
)
_BRACKETS = re.compile(r"[（(][^）)]*[）)]")
_SPACE = re.compile(r"\s+")
PROBE = 4  # the core's first characters the index is asked for
SIMILAR = 0.75  # difflib ratio of the cores from which two names are similar
CANDIDATES = 50


def core(name: str) -> str:
    """The company name as compared: no brackets, spaces or legal form; ASCII lower case."""
    text = _SPACE.sub("", _BRACKETS.sub("", name or "")).lower()
    changed = True
    while changed:
        changed = False
        for form in LEGAL_FORMS:
            if text.endswith(form) and len(text) > len(form):
                text = text[: -len(form)]
                changed = True
    return text


def similar(a: str, b: str) -> bool:
    ca, cb = core(a), core(b)
    if not ca or not cb:
        return False
    if ca in cb or cb in ca:
        return min(len(ca), len(cb)) >= 2
    return difflib.SequenceMatcher(None, ca, cb).ratio() >= SIMILAR


def find(company_name: str, uscc: str = "", *, exclude_pk=None) -> list:
    """Other leads (any scope: the caller decides what to show) with the same USCC or a similar name."""
    from .models import Lead, LeadStage

    others = Lead._base_manager.exclude(stage=LeadStage.ABANDONED)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    found = {}
    code = normalise(uscc or "")
    if code:
        for lead in others.filter(uscc=code).select_related("team")[:CANDIDATES]:
            found[lead.pk] = lead
    name_core = core(company_name)
    if len(name_core) >= 2:
        probe = name_core[:PROBE]
        candidates = others.filter(search.matches(Lead, probe)).select_related("team")[:CANDIDATES]
        for lead in candidates:
            if lead.pk not in found and similar(company_name, lead.company_name):
                found[lead.pk] = lead
    return list(found.values())


def warnings(user, leads) -> list[str]:
    """What the user is told about ``leads``: in scope, the company and its team; outside, only that a
    lead exists elsewhere and that the chain office knows."""
    visible = set()
    if leads:
        from .models import Lead

        visible = set(
            Lead.objects.restrict(user, "view")
            .filter(pk__in=[lead.pk for lead in leads])
            .values_list("pk", flat=True)
        )
    out = []
    hidden = 0
    for lead in leads:
        if lead.pk in visible:
            if lead.team is not None:
                out.append(
                    _("%(company)s is a lead of the team %(team)s already (%(stage)s).")
                    % {"company": lead.company_name, "team": lead.team, "stage": lead.get_stage_display()}
                )
            else:
                out.append(
                    _("%(company)s is a lead already (%(stage)s), with no team.")
                    % {"company": lead.company_name, "stage": lead.get_stage_display()}
                )
        else:
            hidden += 1
    if hidden:
        out.append(
            _(
                "A lead for this company or one of a similar name exists outside your scope; "
                "ask the chain office before going on."
            )
        )
    return out

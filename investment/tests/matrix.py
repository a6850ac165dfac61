"""Investment attraction in the permission-and-scope matrix (chainboard/tests/test_scope_matrix.py
merges every app's ``tests/matrix.py``). Written out by hand from docs/investment.md (Who may do what)
and investment/access.py, not computed.

The cast: a lead on each chain landing in 高平市 (the other chain's in its town 米山镇), the silk chain's
landing in 泽州县 and the other chain's with no landing region yet; each with a contact, a visit and a
follow-up; a team and a target per chain; an event per chain and one of no chain; the five
macro-regions the migration loads.
"""

import datetime as dt

from chainboard import actions
from investment.models import (
    Event,
    FollowUp,
    Lead,
    LeadContact,
    LeadStage,
    MacroRegion,
    Target,
    Team,
    TeamMember,
    Visit,
)
from organisations.models import Person

ENTITIES = {
    "lead": "investment.Lead",
    "leadcontact": "investment.LeadContact",
    "team": "investment.Team",
    "teammember": "investment.TeamMember",
    "target": "investment.Target",
    "event": "investment.Event",
    "visit": "investment.Visit",
    "followup": "investment.FollowUp",
    "macroregion": "investment.MacroRegion",
}
# The five macro-regions come from a data migration, not row by row through the write path.
LOADED_IN_BULK = {"macroregion"}
LEADS = {"silk_gaoping", "silk_zezhou", "other_gaoping", "other_none"}
SILK_LEADS = {"silk_gaoping", "silk_zezhou"}
GAOPING_LEADS = {"silk_gaoping", "other_gaoping"}  # 高平市 and its town 米山镇, whatever the chain
MACRO = {"京津冀", "长三角", "珠三角", "中原城市群", "成渝"}


def extend(world, actor) -> dict:
    silk, other = world.chains["silk"], world.chains["other"]
    person = Person.objects.get(name="工信局联络员")  # organisations' cast
    teams = {
        "silk_team": actions.create_direct(actor, Team(name="丝绸小分队", chain=silk, leader=person)),
        "other_team": actions.create_direct(actor, Team(name="其他小分队", chain=other)),
    }
    specs = {
        "silk_gaoping": (silk, "140581", teams["silk_team"]),
        "silk_zezhou": (silk, "140525", None),
        "other_gaoping": (other, "140581101", teams["other_team"]),
        "other_none": (other, None, None),
    }
    leads = {
        key: actions.create_direct(
            actor,
            Lead(
                company_name=f"客商{key}有限公司",
                chain=chain,
                landing_region=world.regions[code] if code else None,
                team=team,
                stage=LeadStage.NEGOTIATING,  # convertible: the convert page opens
                opened_on=dt.date(2026, 1, 5),
                negotiating_on=dt.date(2026, 2, 1),
                planned_investment=100_000_000,
            ),
        )
        for key, (chain, code, team) in specs.items()
    }
    visits = {
        k: actions.create_direct(actor, Visit(lead=lead, visited_on=dt.date(2026, 3, 1), place="上海"))
        for k, lead in leads.items()
    }
    return {
        "lead": leads,
        "leadcontact": {
            k: actions.create_direct(actor, LeadContact(lead=lead, name=f"联系人{k}", phone="13800000000"))
            for k, lead in leads.items()
        },
        "team": teams,
        "teammember": {
            k: actions.create_direct(actor, TeamMember(team=team, person=person)) for k, team in teams.items()
        },
        "target": {
            "silk": actions.create_direct(actor, Target(chain=silk, year=2026, landed=2)),
            "other": actions.create_direct(actor, Target(chain=other, year=2026, landed=1)),
        },
        "event": {
            "silk_event": actions.create_direct(
                actor, Event(name="丝绸推介会", kind="promotion", chain=silk)
            ),
            "other_event": actions.create_direct(actor, Event(name="其他博览会", kind="expo", chain=other)),
            "city_event": actions.create_direct(actor, Event(name="全市招商会", kind="investment_fair")),
        },
        "visit": visits,
        "followup": {
            k: actions.create_direct(
                actor,
                FollowUp(lead=lead, visit=visits[k], description="送资料", due_on=dt.date(2026, 3, 10)),
            )
            for k, lead in leads.items()
        },
        "macroregion": {m.name: m for m in MacroRegion.objects.all()},
    }


_SILK_ALL = {
    "lead": (SILK_LEADS, "vacd"),
    "leadcontact": (SILK_LEADS, "vacd"),
    "team": ({"silk_team"}, "vacd"),
    "teammember": ({"silk_team"}, "vacd"),
    "target": ({"silk"}, "vacd"),
    "event": ({"silk_event"}, "vacd"),  # an event of no chain is outside a chain's grant
    "visit": (SILK_LEADS, "vacd"),
    "followup": (SILK_LEADS, "vacd"),
    "macroregion": (MACRO, "v"),
}
# role → entity → (keys the role may see, actions: v(iew) a(dd) c(hange) d(elete)).
EXPECTED = {
    # the silk chain's office: everything of its chain; its chief the same but deleting
    "chief": {k: (keys, perms.replace("d", "")) for k, (keys, perms) in _SILK_ALL.items()},
    "office": _SILK_ALL,
    "investment": {  # the silk chain's team: works its chain's leads, deletes nothing but small rows
        "lead": (SILK_LEADS, "vac"),
        "leadcontact": (SILK_LEADS, "vacd"),
        "team": ({"silk_team"}, "vac"),
        "teammember": ({"silk_team"}, "vacd"),
        "target": ({"silk"}, "v"),
        "event": ({"silk_event"}, "vac"),
        "visit": (SILK_LEADS, "vac"),
        "followup": (SILK_LEADS, "vac"),
        "macroregion": (MACRO, "v"),
    },
    "county": {  # 高平市: reads the leads that would land there, on any chain; not their contacts
        "lead": (GAOPING_LEADS, "v"),
        "visit": (GAOPING_LEADS, "v"),
        "followup": (GAOPING_LEADS, "v"),
        "macroregion": (MACRO, "v"),
    },
    # enterprise, auditor, admin, security_admin: nothing
}
_LEAD_PROBES = ["silk_gaoping", "silk_zezhou", "other_gaoping", "other_none"]
PROBES = {
    "lead": _LEAD_PROBES,
    "leadcontact": _LEAD_PROBES,
    "team": ["silk_team", "other_team"],
    "teammember": ["silk_team", "other_team"],
    "target": ["silk", "other"],
    "event": ["silk_event", "other_event", "city_event"],
    "visit": _LEAD_PROBES,
    "followup": _LEAD_PROBES,
    "macroregion": ["京津冀", "成渝"],
}
# A team with leads is not deleted (the leads would lose it); a person on a team is not either.
REFUSED = {
    ("team", "silk_team"): {"*": {"investment.lead"}},
    ("team", "other_team"): {"*": {"investment.lead"}},
    ("person", "工信局联络员"): {"*": {"investment.teammember", "investment.team"}},
}
_LEAD_NAMED = {"lead": {"transition", "convert", "view_confidential"}}
NAMED = {"chief": _LEAD_NAMED, "office": _LEAD_NAMED, "investment": _LEAD_NAMED}
# A named action's page, per (entity, action). None: no page of its own, covered elsewhere —
# view_confidential by investment/tests/test_confidential.py, automatic (no role holds it) by
# investment/tests/test_conversion.py.
NAMED_ROUTES = {
    ("lead", "transition"): {"move": "abandon"},
    ("lead", "convert"): {},
    ("lead", "view_confidential"): None,
    ("lead", "automatic"): None,
}

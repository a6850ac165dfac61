"""Key projects, their investment plans and milestones in the permission-and-scope matrix
(chainboard/tests/test_scope_matrix.py merges every app's ``tests/matrix.py``). Written out by hand from
docs/projects.md (Scope) and projects/access.py, not computed."""

from chainboard import actions
from projects.models import Milestone, ProgressReport, Project, ProjectPlan, SchedulingRound

ENTITIES = {
    "project": "projects.Project",
    "projectplan": "projects.ProjectPlan",
    "milestone": "projects.Milestone",
    "schedulinground": "projects.SchedulingRound",
    "progressreport": "projects.ProgressReport",
}
SILK, BOTH = {"silk"}, {"silk", "other"}  # rounds, by chain

# Projects (and their plans and milestones), by key: see ``extend``.
SILK_PROJECTS = {"silk_zezhou", "silk_gaoping"}
GAOPING_PROJECTS = {"silk_gaoping", "other_gaoping"}


def extend(world, actor) -> dict:
    """A project on each chain in each county: 景柏's and 潞安府's on the silk chain (泽州县, 高平市), the
    other chain's in 高平市米山镇 (owned by 高平其他企业) and in 泽州县 (owner unknown)."""
    silk, other = world.chains["silk"], world.chains["other"]
    specs = {
        "silk_zezhou": (silk, "140525", world.enterprises["jingbai"]),
        "silk_gaoping": (silk, "140581", world.enterprises["luanfu"]),
        "other_gaoping": (other, "140581101", world.enterprises["gaoping_other"]),
        "other_zezhou": (other, "140525", None),
    }
    projects = {
        key: actions.create_direct(
            actor, Project(name=f"项目{key}", chain=chain, region=world.regions[code], owner=owner)
        )
        for key, (chain, code, owner) in specs.items()
    }
    rounds = {
        key: actions.create_direct(actor, SchedulingRound(chain=chain, year=2026, month=6))
        for key, chain in (("silk", silk), ("other", other))
    }
    return {
        "project": projects,
        "projectplan": {
            k: actions.create_direct(actor, ProjectPlan(project=p, year=2026, planned_investment=100))
            for k, p in projects.items()
        },
        "milestone": {
            k: actions.create_direct(actor, Milestone(project=p, name="开工")) for k, p in projects.items()
        },
        # A round on each chain, and each project's report in its chain's round.
        "schedulinground": rounds,
        "progressreport": {
            k: actions.create_direct(
                actor, ProgressReport(round=rounds["silk" if p.chain_id == silk.pk else "other"], project=p)
            )
            for k, p in projects.items()
        },
    }


# role → entity → (keys the role may see, actions it may take: v(iew) a(dd) c(hange) d(elete)).
EXPECTED = {
    "chief": {  # chief of the silk chain: reads its projects
        "project": (SILK_PROJECTS, "v"),
        "projectplan": (SILK_PROJECTS, "v"),
        "milestone": (SILK_PROJECTS, "v"),
        "schedulinground": (SILK, "v"),
        "progressreport": (SILK_PROJECTS, "v"),
    },
    "office": {  # the silk chain's office: keeps its projects
        "project": (SILK_PROJECTS, "vacd"),
        "projectplan": (SILK_PROJECTS, "vacd"),
        "milestone": (SILK_PROJECTS, "vacd"),
        # Rounds are opened, reminded and closed, reports filed, on their own pages (test_rounds.py): no
        # generic form adds or edits them, so the add and edit pages refuse everyone.
        "schedulinground": (SILK, "vac"),
        "progressreport": (SILK_PROJECTS, "vacd"),
    },
    "county": {  # 高平市 staff: keep the projects built in their county, its towns included
        "project": (GAOPING_PROJECTS, "vacd"),
        "projectplan": (GAOPING_PROJECTS, "vacd"),
        "milestone": (GAOPING_PROJECTS, "vacd"),
        "schedulinground": (BOTH, "v"),  # rounds have no county: every chain's
        "progressreport": (GAOPING_PROJECTS, "vacd"),
    },
    "investment": {  # the silk chain's investment team: reads its projects
        "project": (SILK_PROJECTS, "v"),
        "projectplan": (SILK_PROJECTS, "v"),
        "milestone": (SILK_PROJECTS, "v"),
        "schedulinground": (SILK, "v"),
        "progressreport": (SILK_PROJECTS, "v"),
    },
    "enterprise": {  # 景柏服饰's own user: its own project
        "project": ({"silk_zezhou"}, "v"),
        "projectplan": ({"silk_zezhou"}, "v"),
        "milestone": ({"silk_zezhou"}, "v"),
        "progressreport": ({"silk_zezhou"}, "vac"),  # files its own
    },
}

# In the silk roles' scope and not the county's; in both; in the county's only; in nobody's but office-wide.
PROBES = {
    "project": ["silk_zezhou", "silk_gaoping", "other_gaoping", "other_zezhou"],
    "projectplan": ["silk_zezhou", "silk_gaoping", "other_gaoping", "other_zezhou"],
    "milestone": ["silk_zezhou", "silk_gaoping", "other_gaoping", "other_zezhou"],
    "schedulinground": ["silk", "other"],
    "progressreport": ["silk_zezhou", "silk_gaoping", "other_gaoping", "other_zezhou"],
}

# An enterprise that owns a project is not deleted while the project stands (its owner would be lost),
# whoever asks (added to what the enterprises' own matrix refuses). The project is then all the refusal
# names: a county clerk is not told about the memberships as well (chainboard/deletion.py).
REFUSED = {
    ("enterprise", "jingbai"): {"*": {"projects.project"}},
    ("enterprise", "luanfu"): {"*": {"projects.project"}},
    ("enterprise", "gaoping_other"): {"*": {"projects.project"}},
}
# role → entity → named actions, within the rows EXPECTED lets it see: the office (its chain) and county
# staff (their county) move projects through their stages (projects/access.py).
NAMED = {
    "office": {"project": {"transition", "file_progress"}},
    "county": {"project": {"transition", "file_progress"}},
    "enterprise": {"project": {"file_progress"}},  # its own projects' progress
}
# A named action's page on one record, per (entity, action): a move from the cast's 谋划 to 签约.
# "_ok": the answer when allowed, where it is not 200 (filing opens the report in the chain's open round).
NAMED_ROUTES = {
    ("project", "transition"): {"move": "sign"},
    ("project", "file_progress"): {"_ok": 302},
}

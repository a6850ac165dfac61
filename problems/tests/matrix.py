"""The closed loop in the permission-and-scope matrix (chainboard/tests/test_scope_matrix.py merges every
app's ``tests/matrix.py``). Written out by hand from docs/closed-loop.md (Roles) and problems/access.py,
not computed.

A problem for each of the world's enterprises (景柏 and 潞安府 on the silk chain in 泽州县 and 高平市, the
other chain's in 高平市米山镇 and 泽州县), each assigned to the city bureau; a task of the bureau's on each
chain in each county; a meeting record per chain (the silk chain's city-wide, the other's in 高平市); a progress note on each problem and each task.
"""

import datetime as dt

from chainboard import actions
from problems.models import LoopState, MeetingRecord, Problem, ProblemKind, ProgressNote, Task

ENTITIES = {
    "problem": "problems.Problem",
    "task": "problems.Task",
    "meetingrecord": "problems.MeetingRecord",
    "progressnote": "problems.ProgressNote",
    "problemkind": "problems.ProblemKind",
}
KEYS = ("jingbai", "luanfu", "gaoping_other", "zezhou_other")
SILK = {"jingbai", "luanfu"}
GAOPING = {"luanfu", "gaoping_other"}
NOTES = {f"p_{k}" for k in KEYS} | {f"t_{k}" for k in KEYS}
KINDS = {"要素保障", "融资", "用工", "审批", "市场", "其他"}  # the data migration's


def extend(world, actor) -> dict:
    bureau = world.organisations["bureau"]
    # The data migration's kinds carry no audit rows; made again through the write path, as an
    # administrator would, so the desk's recent changes can name them.
    ProblemKind.objects.all().delete()
    kinds = {
        name: actions.create_direct(actor, ProblemKind(name=name, order=order))
        for order, name in enumerate(sorted(KINDS))
    }
    kind = kinds["融资"]
    day = dt.date(2026, 6, 1)
    loop = {
        "state": LoopState.ASSIGNED,
        "handling_unit": bureau,
        "assigned_on": day,
        "deadline_days": 10,
        "due_on": dt.date(2026, 6, 15),
    }
    problems = {
        key: actions.create_direct(
            actor, Problem(title=f"诉求{key}", kind=kind, enterprise=world.enterprises[key], **loop)
        )
        for key in KEYS
    }
    del loop["handling_unit"]
    tasks = {
        key: actions.create_direct(
            actor,
            Task(
                title=f"任务{key}",
                owner_unit=bureau,
                chain=problems[key].chain,
                region=problems[key].region,
                **loop,
            ),
        )
        for key in KEYS
    }
    notes = {}
    for key in KEYS:
        notes[f"p_{key}"] = actions.create_direct(
            actor, ProgressNote(problem=problems[key], note="已对接", noted_on=day)
        )
        notes[f"t_{key}"] = actions.create_direct(
            actor, ProgressNote(task=tasks[key], note="推进中", noted_on=day)
        )
    meetings = {
        key: actions.create_direct(
            actor,
            MeetingRecord(
                title=f"会议{key}",
                held_on=day,
                chain=world.chains[key],
                region=region,
                decisions="事项一\n事项二",
            ),
        )
        for key, region in (("silk", None), ("other", world.regions["140581"]))
    }
    return {
        "problem": problems,
        "task": tasks,
        "meetingrecord": meetings,
        "progressnote": notes,
        "problemkind": kinds,
    }


def _notes(keys: set[str]) -> set[str]:
    return {f"p_{k}" for k in keys} | {f"t_{k}" for k in keys}


# role → entity → (keys the role may see, actions it may take: v(iew) a(dd) c(hange) d(elete)).
EXPECTED = {
    "chief": {  # chief of the silk chain: reads its problems, tasks and meetings
        "problem": (SILK, "v"),
        "task": (SILK, "v"),
        "meetingrecord": ({"silk"}, "v"),
        "progressnote": (_notes(SILK), "v"),
        "problemkind": (KINDS, "v"),
    },
    "office": {  # the silk chain's office runs the loop on its chain
        "problem": (SILK, "vacd"),
        "task": (SILK, "vacd"),
        "meetingrecord": ({"silk"}, "vacd"),
        "progressnote": (_notes(SILK), "vacd"),
        "problemkind": (KINDS, "vacd"),
    },
    "county": {  # 高平市 staff: its county's problems (raised on an enterprise's behalf), its tasks
        "problem": (GAOPING, "vac"),
        "task": (GAOPING, "v"),
        "meetingrecord": ({"other"}, "vac"),  # held in 高平市; the silk chain's meeting is city-wide
        "progressnote": (_notes(GAOPING), "v"),
        "problemkind": (KINDS, "v"),
    },
    "enterprise": {  # 景柏服饰's own user: its own problem, never the unit's notes nor any task
        "problem": ({"jingbai"}, "va"),
        "problemkind": (KINDS, "v"),
    },
    "admin": {"problemkind": (KINDS, "vacd")},
}

PROBES = {
    "problem": list(KEYS),
    "task": list(KEYS),
    "meetingrecord": ["silk", "other"],
    "progressnote": ["p_jingbai", "t_luanfu", "p_gaoping_other", "t_zezhou_other"],
    "problemkind": ["融资", "其他"],
}

# The world's enterprises each have a problem, the bureau holds them and owns the tasks, the kind 融资
# classes them: none of them is deleted while those stand (added to what the other apps refuse).
REFUSED = {
    **{("enterprise", key): {"*": {"problems.problem"}} for key in KEYS},
    ("organisation", "工信局"): {"*": {"problems.problem", "problems.task"}},
    ("problemkind", "融资"): {"*": {"problems.problem"}},
}

NAMED = {
    "office": {
        "problem": {"transition", "assign", "rate", "approve_extension"},
        "task": {"transition", "assign", "approve_extension"},
        "meetingrecord": {"make_items"},
    },
    "enterprise": {"problem": {"rate", "attach"}},
}
# The cast's problems and tasks are all assigned: transfer, start and the extension decision open their
# forms; accepting a problem, rating it and confirming a task are refused from there (409, naming the
# state), which still tells the permission (403) and the scope (404) apart.
NAMED_ROUTES = {
    ("problem", "transition"): {"move": "accept", "_ok": 409},
    ("problem", "assign"): {"move": "transfer"},
    ("problem", "handle"): {"move": "start"},
    ("problem", "rate"): {"move": "rate", "_ok": 409},
    ("problem", "approve_extension"): {"move": "approve_extension"},
    ("problem", "escalate"): {"move": "escalate"},  # the system's: nobody's
    ("task", "transition"): {"move": "confirm", "_ok": 409},
    ("task", "escalate"): {"move": "escalate"},
    ("task", "assign"): {"move": "transfer"},
    ("task", "handle"): {"move": "start"},
    ("task", "approve_extension"): {"move": "approve_extension"},
    ("meetingrecord", "make_items"): {},
    # Attaching a file has no page of its own (the detail page's form posts to the attachments route):
    # problems/tests/test_attach.py tries it per role.
    ("problem", "attach"): None,
    ("task", "attach"): None,
}

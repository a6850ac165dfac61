"""What each role may do in the closed loop (docs/closed-loop.md, Roles; accounts/roles.py composes every
app's declarations). Scope narrows it: a county grant to its county's problems and tasks, a unit grant to
those assigned to its unit (and nothing else of the enterprise), an enterprise grant to its own problems.

- chief (and deputy): read everything in their chains, overdue and escalated items included;
- office: runs the loop: accepts or returns, assigns and transfers, approves extensions, confirms tasks,
  records a rating the enterprise gives by phone, keeps the kinds and the meeting records;
- county: raises problems on an enterprise's behalf in its county and follows them; reads its tasks;
- unit (承办单位): handles what is assigned to it: starts, writes progress notes, answers, asks for an
  extension, attaches files (a reply letter, photos of the site); never sees the rest of the enterprise's
  records;
- enterprise: raises its own problems, follows where they stand and who holds them, adds files to them
  later (photos, documents asked for), rates the answer; it does not read the unit's internal progress
  notes (the answer and the timeline are what it is told);
- investment: nothing here (its leads' tasks come with the investment app); auditor: the trail only.
"""

from accounts.roles import ALL, VIEW

_LOOP = ("problems.problem", "problems.task", "problems.meetingrecord", "problems.progressnote")
_READ = {**dict.fromkeys(_LOOP, VIEW), "problems.problemkind": VIEW}

PERMISSIONS = {
    "chief": _READ,
    "office": {
        "problems.problemkind": ALL,
        "problems.problem": (*ALL, "transition", "assign", "rate", "approve_extension"),
        "problems.task": (*ALL, "transition", "assign", "approve_extension"),
        "problems.meetingrecord": (*ALL, "make_items"),
        "problems.progressnote": ALL,
    },
    "county": {
        "problems.problemkind": VIEW,
        "problems.problem": ("view", "add", "change"),
        "problems.task": VIEW,
        "problems.meetingrecord": ("view", "add", "change"),
        "problems.progressnote": VIEW,
    },
    "enterprise": {
        "problems.problemkind": VIEW,
        "problems.problem": ("view", "add", "rate", "attach"),
    },
    # The handling unit (承办单位) handles what is assigned to it, nothing else.
    "unit": {
        "problems.problemkind": VIEW,  # the list of kinds is configuration, offered whole in its filter
        "problems.problem": ("view", "handle", "attach"),
        "problems.task": ("view", "handle", "attach"),
        "problems.progressnote": ("view", "add", "change"),
    },
    # The administrator keeps the list of kinds with the office.
    "admin": {"problems.problemkind": ALL},
}

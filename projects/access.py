"""What each role may do with key projects, their investment plans, milestones, scheduling rounds and
progress reports (accounts/roles.py composes every app's declarations; docs/projects.md, Scope)."""

from accounts.roles import ALL, VIEW, all_of

_MODELS = ("projects.project", "projects.projectplan", "projects.milestone")
_READ = dict.fromkeys(_MODELS, VIEW)
_ROUND_READ = {"projects.schedulinground": VIEW, "projects.progressreport": VIEW}
# Those who keep projects move them through their stages (docs/workflows.md) and file their progress; they
# may delete a report row of an open round (a project listed by mistake), and so delete a project with its
# reports; a closed round's reports refuse it (ProgressReport.write_refusal).
_KEEP = {
    **all_of(*_MODELS),
    "projects.project": (*ALL, "transition", "file_progress"),
    "projects.progressreport": ALL,
}

PERMISSIONS = {
    "chief": {**_READ, **_ROUND_READ},
    # The office runs the monthly rounds: opens (add), reminds and closes (change); never deletes one.
    "office": {**_KEEP, "projects.schedulinground": ("view", "add", "change")},
    # County staff keep the projects built in their county (product.md) and file their progress.
    "county": {**_KEEP, "projects.schedulinground": VIEW},
    "investment": {**_READ, **_ROUND_READ},
    # An enterprise follows its own projects and files their progress.
    "enterprise": {
        **_READ,
        "projects.project": ("view", "file_progress"),
        "projects.progressreport": ("view", "add", "change"),
    },
}

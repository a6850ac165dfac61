"""What each role may do with key projects, their investment plans and milestones (accounts/roles.py
composes every app's declarations; docs/projects.md, Scope)."""

from accounts.roles import ALL, VIEW, all_of

_MODELS = ("projects.project", "projects.projectplan", "projects.milestone")
_READ = dict.fromkeys(_MODELS, VIEW)

PERMISSIONS = {
    "chief": _READ,
    # The office and county staff keep projects and move them through their stages (docs/workflows.md).
    "office": {**all_of(*_MODELS), "projects.project": (*ALL, "transition")},
    # County staff keep the projects built in their county (product.md).
    "county": {**all_of(*_MODELS), "projects.project": (*ALL, "transition")},
    "investment": _READ,
    "enterprise": _READ,  # its own projects (scope: the enterprise), to follow and later to file on
}

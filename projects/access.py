"""What each role may do with key projects, their investment plans and milestones (accounts/roles.py
composes every app's declarations; docs/projects.md, Scope)."""

from accounts.roles import VIEW, all_of

_MODELS = ("projects.project", "projects.projectplan", "projects.milestone")
_READ = dict.fromkeys(_MODELS, VIEW)

PERMISSIONS = {
    "chief": _READ,
    "office": all_of(*_MODELS),
    "county": all_of(*_MODELS),  # County staff keep the projects built in their county (product.md).
    "investment": _READ,
    "enterprise": _READ,  # its own projects (scope: the enterprise), to follow and later to file on
}

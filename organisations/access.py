"""What each role may do with organisations and people (accounts/roles.py composes every app's
declarations)."""

from accounts.roles import ALL, VIEW, all_of

_READ = {"organisations.organisation": VIEW, "organisations.person": VIEW}

PERMISSIONS = {
    "chief": _READ,
    "office": {"organisations.organisation": VIEW, "organisations.person": ALL},
    "county": _READ,
    "investment": _READ,
    # A handling unit's users read the organisations and their handlers (docs/roles.md).
    "unit": _READ,
    "admin": all_of("organisations.organisation", "organisations.person"),
}

"""What each role may do with industry classes (accounts/roles.py composes every app's declarations)."""

from accounts.roles import VIEW

# Reference data: everyone who works with the product reads it; it is loaded by command, not edited.
_READ = {"industries.industryclass": VIEW}

PERMISSIONS = {
    "chief": _READ,
    "office": _READ,
    "county": _READ,
    "investment": _READ,
    "enterprise": _READ,
    "admin": _READ,
    "security_admin": _READ,
}

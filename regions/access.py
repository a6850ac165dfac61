"""What each role may do with regions (accounts/roles.py composes every app's declarations)."""

from accounts.roles import VIEW

# Reference data: everyone who works with the product reads it; it is loaded by command, not edited.
_READ = {"regions.region": VIEW}

PERMISSIONS = {
    "chief": _READ,
    "office": _READ,
    "county": _READ,
    "investment": _READ,
    "enterprise": _READ,
    "admin": _READ,
    "security_admin": _READ,
}
